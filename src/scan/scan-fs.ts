import fs from 'node:fs';

/** The few filesystem calls the scanner makes; injectable so tests can make a directory unreadable even as root. */
export interface ScanFs {
  /** Entry names, decoded as UTF-8 (invalid bytes become U+FFFD). */
  readdir(dir: string): string[];
  /** Entry names as raw bytes, for the rare directory holding a name that is not UTF-8. */
  readdirRaw(dir: string): Buffer[];
  lstat(path: string): fs.BigIntStats;
  /** Follows symlinks: only for the configured source directory itself. */
  stat(path: string): fs.BigIntStats;
}

export const nodeScanFs: ScanFs = {
  readdir: (dir) => fs.readdirSync(dir),
  readdirRaw: (dir) => fs.readdirSync(dir, { encoding: 'buffer' }),
  lstat: (p) => fs.lstatSync(p, { bigint: true }),
  stat: (p) => fs.statSync(p, { bigint: true }),
};
