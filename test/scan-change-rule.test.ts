import { describe, expect, it } from 'vitest';
import { judge, type ShippedRecord } from '../src/scan/change-rule.js';
import type { Fingerprint } from '../src/state/fingerprint.js';

const file: Fingerprint = { kind: 'f', size: 100n, mtimeNs: 1_700_000_000_000_000_001n, ctimeNs: 1_700_000_000_500_000_000n, ino: 42n };
const shippedAs = (fp: Fingerprint): ShippedRecord => ({
  shipped_kind: fp.kind,
  shipped_size: fp.size,
  shipped_mtime_ns: fp.mtimeNs,
  shipped_ctime_ns: fp.ctimeNs,
  shipped_ino: fp.ino,
  last_transfer_ns: fp.ctimeNs + 1n,
});
const never: ShippedRecord = {
  shipped_kind: null,
  shipped_size: null,
  shipped_mtime_ns: null,
  shipped_ctime_ns: null,
  shipped_ino: null,
  last_transfer_ns: null,
};

describe('change rule', () => {
  it('a path with no row, or a row never shipped, is new', () => {
    expect(judge(undefined, file)).toBe('new');
    expect(judge(never, file)).toBe('new');
    expect(judge(never, { ...file, kind: 'd' })).toBe('new');
  });

  it('the exact shipped fingerprint is clean', () => {
    expect(judge(shippedAs(file), { ...file })).toBe('clean');
  });

  it.each([
    ['size', { size: 101n }],
    ['mtime forward', { mtimeNs: file.mtimeNs + 1n }],
    ['mtime backwards (cp -p, tar x)', { mtimeNs: file.mtimeNs - 1n }],
    ['ctime only', { ctimeNs: file.ctimeNs + 1n }],
    ['inode only (write-and-rename)', { ino: 43n }],
    ['file replaced by a directory', { kind: 'd' as const }],
  ])('a file whose %s differs is changed', (_name, change) => {
    expect(judge(shippedAs(file), { ...file, ...change })).toBe('changed');
  });

  it('a directory replaced by a file is changed', () => {
    const d: Fingerprint = { ...file, kind: 'd' };
    expect(judge(shippedAs(d), file)).toBe('changed');
  });

  it('a directory compares by kind only: its times move with its entries, which are judged one by one', () => {
    const d: Fingerprint = { ...file, kind: 'd' };
    expect(judge(shippedAs(d), { ...d, mtimeNs: d.mtimeNs + 10n, size: 4096n, ctimeNs: d.ctimeNs + 5n })).toBe('clean');
  });

  it('with only a set-time boundary, a file ships only when modified after it', () => {
    const boundary: ShippedRecord = { ...never, last_transfer_ns: file.mtimeNs };
    expect(judge(boundary, file)).toBe('clean');
    expect(judge(boundary, { ...file, mtimeNs: file.mtimeNs + 1n })).toBe('changed');
    expect(judge({ ...never, last_transfer_ns: file.mtimeNs + 1n }, file)).toBe('clean');
    expect(judge(boundary, { ...file, kind: 'd', mtimeNs: file.mtimeNs + 99n })).toBe('clean');
  });
});
