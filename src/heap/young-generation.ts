import v8 from 'node:v8';

/**
 * V8's young generation doubles its semi-spaces whenever enough survives a
 * scavenge, up to 16 MB each on Node 20 and 22 and 64 MB on Node 24: a scan
 * (listings waiting in walk order, rows read ahead) survives enough to reach
 * the ceiling, and both semi-spaces count towards peak RSS. At 1,000,000 files
 * that was 30 MB of a 140-175 MB peak (bench, issue 34).
 *
 * `--max-semi-space-size` is read once, when the heap is set up, so it works
 * only on Node's command line; `--semi-space-growth-factor` is read at each
 * growth decision, so setting it to 1 here, before the scan, keeps the young
 * generation at its initial size (1 MB semi-spaces on Node 20-24, 2.5 MB on
 * Node 26) from then on. Measured at 1,000,000 files: 30 MB less at the peak,
 * and no slower (more scavenges, each of a smaller space).
 *
 * Node 20 and 22 set V8's flags back to the command line's when a worker
 * thread starts (measured: the semi-spaces grew to 16 MB again as soon as the
 * scan's worker started), so a worker sets the flag again first thing
 * (`runtimeV8Flags`, passed to src/scan/scan-worker.ts).
 *
 * An operator who set either flag (NODE_OPTIONS or Node's command line) has
 * chosen a size, and that choice stands.
 */
export const GROWTH_FLAG = '--semi-space-growth-factor=1';

let applied = false;
let flags: string | null = null;

/** True when the operator gave Node a semi-space size or growth factor of their own. */
export function semiSpaceChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--(max|min)[-_]semi[-_]space[-_]size\b|^--semi[-_]space[-_]growth[-_]factor\b/.test(a));
}

/** Once per process, before the allocation it is for; later calls do nothing. */
export function keepYoungGenerationSmall(): void {
  if (applied) return;
  applied = true;
  if (semiSpaceChosen(process.execArgv, process.env.NODE_OPTIONS)) return;
  v8.setFlagsFromString(GROWTH_FLAG);
  flags = GROWTH_FLAG;
}

/** The V8 flags this thread set at run time (null: none), which a worker thread must set again when it starts. */
export function runtimeV8Flags(): string | null {
  return flags;
}
