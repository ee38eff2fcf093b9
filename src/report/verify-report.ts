import type { Finding, VerifyCounts } from '../verify/findings.js';
import { count } from './progress-line.js';

/** `missing  a/f1.dat`, `differs  a/b/g2.dat (size 0, expected 7)`, `extra  tmp/x`, `unverified  a/b/ (why)`. */
export function findingLine(f: Finding): string {
  return `${f.kind}  ${f.path}${f.detail ? ` (${f.detail})` : ''}`;
}

export function findingJson(f: Finding): string {
  return JSON.stringify({ DATA_TYPE: 'gsync_verify_finding', kind: f.kind, path: f.path, detail: f.detail ?? null, files: f.files ?? null });
}

/** "verified 200,000 files in 4,001 directories: 2 missing, 1 differs, 0 extra, 0 unverified; 4,020 listings in 6 min 41 s" */
export function verifySummaryLine(c: VerifyCounts, elapsedMs: number, repaired: number | null): string {
  const line =
    `verified ${count(c.files)} file${c.files === 1 ? '' : 's'} in ${count(c.dirs)} director${c.dirs === 1 ? 'y' : 'ies'}: ` +
    `${count(c.missing)} missing, ${count(c.differs)} differs, ${count(c.extra)} extra, ${count(c.unverified)} unverified; ` +
    `${count(c.listings)} listing${c.listings === 1 ? '' : 's'} in ${duration(elapsedMs)}`;
  if (repaired === null) return line;
  return `${line}\nrepair: ${count(repaired)} path${repaired === 1 ? '' : 's'} marked owed; the next run ships them`;
}

export function verifySummaryJson(c: VerifyCounts, elapsedMs: number, repaired: number | null, exitCode: number): string {
  return JSON.stringify({ DATA_TYPE: 'gsync_verify_summary', ...c, seconds: Math.round(elapsedMs / 100) / 10, repaired, exit_code: exitCode });
}

/** "verifying: 1,200 of 4,001 directories listed, 3 findings, about 5 min 10 s left" */
export function verifyProgress(c: Readonly<VerifyCounts>, dirsTotal: number, elapsedMs: number): string {
  const done = c.dirs + c.unverified;
  const findings = c.missing + c.differs + c.extra + c.unverified;
  const left = Math.max(0, dirsTotal - done);
  const eta = done > 0 && elapsedMs > 0 ? `, about ${duration((elapsedMs / done) * left)} left` : '';
  return `verifying: ${count(done)} of ${count(Math.max(dirsTotal, done))} directories listed, ${count(findings)} finding${findings === 1 ? '' : 's'}${eta}`;
}

/** "850 ms", "41 s", "6 min 41 s", "2 h 5 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The last verify as `gsync status` shows it (text and --json). */
export interface VerifyView extends VerifyCounts {
  finished: string;
  durationSeconds: number;
  path: string;
  repaired: number;
  exitCode: number;
}

/** "verify   last 2026-12-05T06:50:01Z (6 min 41 s): 200,000 files in 4,001 directories, 2 missing, 1 differs, 0 extra, 0 unverified" */
export function verifyStatusLine(v: VerifyView): string {
  const scope = v.path === '' ? '' : ` of ${v.path}`;
  const repaired = v.repaired > 0 ? `; ${count(v.repaired)} paths marked owed` : '';
  return (
    `verify   last${scope} ${v.finished.replace(/\.\d{3}Z$/, 'Z')} (${duration(v.durationSeconds * 1000)}): ${count(v.files)} files in ${count(v.dirs)} directories, ` +
    `${count(v.missing)} missing, ${count(v.differs)} differs, ${count(v.extra)} extra, ${count(v.unverified)} unverified${repaired}`
  );
}
