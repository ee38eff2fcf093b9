import fs from 'node:fs';
import path from 'node:path';

/** One run of the recording hook: the GSYNC_* variables it saw and the manifest as it read it. */
export interface HookCall {
  env: Record<string, string>;
  manifest: Array<Record<string, unknown>> | null;
  /** Whether the service account's secret reached the hook's environment. */
  sawSecret: boolean;
  /** With HOOK_LIST_DIR in its environment: the names in that folder when the hook ran. */
  listed: string[] | null;
}

/**
 * A hook program for tests: a small Node script that appends what it was
 * given to calls.jsonl, prints a line on stdout and stderr, and exits with the
 * code in the file `exit-code` (0 without it). With a file `hang` it starts a
 * grandchild that ignores SIGTERM, writes both pids to `pids`, and never ends
 * by itself: only a kill of its process group stops both.
 */
export class HookRecorder {
  readonly script: string;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.script = path.join(dir, 'hook.cjs');
    fs.writeFileSync(this.script, SCRIPT);
  }

  /** hooks.onSucceeded / onFailed value running this recorder. */
  get argv(): string[] {
    return [process.execPath, this.script, this.dir];
  }

  calls(): HookCall[] {
    const file = path.join(this.dir, 'calls.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HookCall);
  }

  exitWith(code: number): void {
    fs.writeFileSync(path.join(this.dir, 'exit-code'), String(code));
  }

  hang(on = true): void {
    const f = path.join(this.dir, 'hang');
    if (on) fs.writeFileSync(f, '');
    else fs.rmSync(f, { force: true });
  }

  /** The hook's and its grandchild's pids, once a hanging hook has written them. */
  pids(): number[] {
    const f = path.join(this.dir, 'pids');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split(' ').map(Number) : [];
  }
}

/** Running and not a zombie waiting for a parent that died to be reaped. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const dir = process.argv[2];
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('GSYNC_')));
const manifest = env.GSYNC_MANIFEST
  ? fs.readFileSync(env.GSYNC_MANIFEST, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l))
  : null;
const listed = process.env.HOOK_LIST_DIR ? fs.readdirSync(process.env.HOOK_LIST_DIR).sort() : null;
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ env, manifest, sawSecret: 'GLOBUS_CLIENT_SECRET' in process.env, listed }) + '\\n');
console.log('hook stdout line for ' + env.GSYNC_TASK_ID);
console.error('hook stderr line for ' + env.GSYNC_TASK_ID);
if (fs.existsSync(path.join(dir, 'hang'))) {
  const g = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'pids'), process.pid + ' ' + g.pid);
  setInterval(() => {}, 1000);
} else {
  let code = 0;
  try { code = Number(fs.readFileSync(path.join(dir, 'exit-code'), 'utf8')); } catch {}
  process.exitCode = code;
}
`;
