/**
 * Deterministic test tree for benchmarks: the same --seed gives the same paths,
 * sizes, contents and mtimes. Files above 4 KiB are sparse past their first 4 KiB,
 * so a large tree reports realistic sizes without filling the disk.
 *
 *   node dist/scripts/make-tree.js --files 200000 --dirs 2000 --out /tmp/tree [--seed 1]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** mulberry32: tiny, seedable, good enough to spread files and sizes (and to replay a kill schedule). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly small files, as instruments and analysis write them, with a long tail. */
function pickSize(r: number, r2: number): number {
  if (r < 0.6) return Math.floor(r2 * 1024);
  if (r < 0.9) return 1024 + Math.floor(r2 * 63 * 1024);
  if (r < 0.99) return 64 * 1024 + Math.floor(r2 * 960 * 1024);
  return 1024 * 1024 + Math.floor(r2 * 15 * 1024 * 1024);
}

export function makeTree(opts: { files: number; dirs: number; out: string; seed: number }): { files: number; dirs: number; bytes: number } {
  const rand = rng(opts.seed);
  if (fs.existsSync(opts.out) && fs.readdirSync(opts.out).length > 0) throw new Error(`${opts.out} exists and is not empty`);
  fs.mkdirSync(opts.out, { recursive: true });
  // Directory i hangs under a random earlier one: a bushy tree of logarithmic depth.
  const dirs: string[] = [''];
  for (let i = 1; i < opts.dirs; i++) {
    const parent = dirs[Math.floor(rand() * i)]!;
    const rel = parent ? `${parent}/dir${String(i).padStart(5, '0')}` : `dir${String(i).padStart(5, '0')}`;
    dirs.push(rel);
    fs.mkdirSync(path.join(opts.out, rel));
  }
  const block = Buffer.alloc(4096);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(rand() * 256);
  const baseS = 1_700_000_000;
  let bytes = 0;
  for (let i = 0; i < opts.files; i++) {
    const rel = dirs[Math.floor(rand() * dirs.length)]!;
    const size = pickSize(rand(), rand());
    const file = path.join(opts.out, rel, `file${String(i).padStart(7, '0')}.dat`);
    const fd = fs.openSync(file, 'w');
    const head = Math.min(size, block.length);
    fs.writeSync(fd, block, (i * 7) % (block.length - head + 1), head);
    if (size > head) fs.ftruncateSync(fd, size);
    fs.closeSync(fd);
    const mtime = baseS + Math.floor(rand() * 365 * 86400);
    fs.utimesSync(file, mtime, mtime);
    bytes += size;
  }
  return { files: opts.files, dirs: opts.dirs, bytes };
}

const isMain = import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { values } = parseArgs({
    options: { files: { type: 'string' }, dirs: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  const num = (v: string | undefined, name: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`make-tree: --${name} must be a whole number >= ${min}\nusage: make-tree --files N --dirs M --out DIR [--seed S]\n`);
      process.exit(2);
    }
    return n;
  };
  if (!values.out) {
    process.stderr.write('make-tree: --out DIR is required\n');
    process.exit(2);
  }
  const result = makeTree({ files: num(values.files, 'files', 0), dirs: num(values.dirs, 'dirs', 1), out: path.resolve(values.out), seed: num(values.seed, 'seed', 0) });
  process.stdout.write(`${JSON.stringify({ out: path.resolve(values.out), ...result })}\n`);
}
