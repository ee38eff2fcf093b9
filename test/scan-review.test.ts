import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../src/scan/scanner.js';
import { makeTree } from './helpers/tree.js';
import { tempDir } from './helpers/temp.js';

describe('scanner review', () => {
  it('a relative source path scans its subdirectories (the walk does not chdir for it)', () => {
    const parent = tempDir('gsync-review-rel-');
    makeTree({ 'src/top.txt': 'a', 'src/sub/deep/f.txt': 'b', 'src/sub/g.txt': 'c' }, parent);
    const home = process.cwd();
    process.chdir(parent);
    try {
      const warnings: string[] = [];
      const counts = scan({ root: 'src', trie: null, nowNs: BigInt(Date.now() + 60_000) * 1_000_000n, onWarning: (w) => warnings.push(`${w.path}: ${w.reason}`) });
      expect(warnings).toEqual([]);
      expect(counts).toMatchObject({ files: 3, dirs: 2, skipped: 0 });
      expect(process.cwd()).toBe(parent);
    } finally {
      process.chdir(home);
    }
  });
});
