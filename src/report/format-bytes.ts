const STEP = 1000;
const NAMES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * "2.0 kB" for 2,019 bytes. One convention for every size gsync prints (the run
 * summary, status, the progress line, plan, the demo): decimal SI units, as
 * `rsync -h`, `ls --si` and the Globus web app print sizes (issue 31.7). There
 * is deliberately no binary variant: two conventions once gave "2.0 kB" in
 * one place and "2.0 KiB" in another for the same bytes.
 */
export function formatBytes(n: bigint | number): string {
  let v = Number(n);
  let u = 0;
  while (v >= STEP && u < NAMES.length - 1) {
    v /= STEP;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${NAMES[u]}`;
}
