import fs from 'node:fs';
import path from 'node:path';

/** Seconds since the epoch, whole: the server compares mtimes at 1 s, as Globus does. */
export type WholeSeconds = number;

/** Deterministic bytes (xorshift), so every demo ships the same tree. */
function bytes(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

const text = (lines: string[]) => Buffer.from(lines.join('\n') + '\n');

/** Relative path → contents. Nested folders, names with spaces, a few files of a megabyte or more. */
export function sampleFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('README.txt', text(['Sample tree made by gsync demo.', 'Every file here is copied to the destination collection.']));
  files.set('notes/meeting notes 2026-11-02.md', text(['# Beamline meeting', '- calibrate detector', '- ship run 002 tonight']));
  files.set('notes/todo list.txt', text(['[ ] align optics', '[x] order nitrogen']));
  for (let run = 1; run <= 3; run++) {
    const dir = `raw data/run ${String(run).padStart(3, '0')}`;
    for (let frame = 1; frame <= 6; frame++) files.set(`${dir}/frame ${String(frame).padStart(4, '0')}.dat`, bytes(4096 + frame * 512, run * 100 + frame));
    files.set(`${dir}/metadata.json`, text([JSON.stringify({ run, frames: 6, exposureMs: 20 * run })]));
  }
  for (let i = 1; i <= 5; i++) files.set(`analysis/plots/figure ${i}.png`, bytes(20_000 + i * 1000, 500 + i));
  files.set('analysis/summary.csv', text(['run,frames,mean', '1,6,0.51', '2,6,0.49', '3,6,0.50']));
  files.set('analysis/scripts/reduce.py', text(['import sys', 'print("reducing", sys.argv[1:])']));
  files.set('big/detector image 1MB.raw', bytes(1024 * 1024, 7));
  files.set('big/stack-2MB.bin', bytes(2 * 1024 * 1024, 8));
  files.set('deep/a/b/c/d/leaf.txt', text(['five levels down']));
  files.set('deep/a/b/sibling.txt', text(['three levels down']));
  return files;
}

/** Writes the sample tree under `root`, every file with mtime `mtime`. */
export function writeSampleTree(root: string, mtime: WholeSeconds): { files: number; bytes: number; dirs: number } {
  const dirs = new Set<string>();
  let total = 0;
  const files = sampleFiles();
  for (const [rel, data] of files) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    for (let d = path.dirname(rel); d !== '.'; d = path.dirname(d)) dirs.add(d);
    fs.writeFileSync(abs, data);
    fs.utimesSync(abs, mtime, mtime);
    total += data.length;
  }
  return { files: files.size, bytes: total, dirs: dirs.size };
}

export interface TreeChanges {
  changed: string[];
  added: string[];
  /** Same contents, newer mtime: sync_level mtime copies them again. */
  touched: string[];
}

/**
 * Edits, adds and touches a few files, all with mtime `mtime` (whole seconds,
 * newer than the first version, so the change shows at Globus's precision).
 */
export function changeSampleTree(root: string, mtime: WholeSeconds): TreeChanges {
  const changes: TreeChanges = {
    changed: ['notes/todo list.txt', 'raw data/run 002/metadata.json'],
    added: ['raw data/run 004/frame 0001.dat', 'raw data/run 004/metadata.json', 'notes/new idea.txt'],
    touched: ['analysis/summary.csv'],
  };
  const write = (rel: string, data: Buffer) => {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
  };
  write('notes/todo list.txt', text(['[x] align optics', '[x] order nitrogen', '[ ] write paper']));
  write('raw data/run 002/metadata.json', text([JSON.stringify({ run: 2, frames: 6, exposureMs: 40, note: 'recalibrated' })]));
  write('raw data/run 004/frame 0001.dat', bytes(8192, 401));
  write('raw data/run 004/metadata.json', text([JSON.stringify({ run: 4, frames: 1, exposureMs: 80 })]));
  write('notes/new idea.txt', text(['ship only what changed']));
  for (const rel of [...changes.changed, ...changes.added, ...changes.touched]) fs.utimesSync(path.join(root, rel), mtime, mtime);
  return changes;
}
