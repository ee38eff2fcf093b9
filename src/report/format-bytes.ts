const UNITS = {
  decimal: { step: 1000, names: ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] },
  binary: { step: 1024, names: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] },
};

/** "3.4 MB"; with 'binary', "3.2 MiB", as status and the progress line print sizes. */
export function formatBytes(n: bigint | number, units: keyof typeof UNITS = 'decimal'): string {
  const { step, names } = UNITS[units];
  let v = Number(n);
  let u = 0;
  while (v >= step && u < names.length - 1) {
    v /= step;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${names[u]}`;
}
