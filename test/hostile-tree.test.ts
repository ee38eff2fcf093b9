import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { exitCodeForRun } from '../src/run/outcome.js';

/**
 * Source trees that try to break a run. The documented outcomes (README "What
 * ships", src/scan/scanner.ts): names are shipped byte for byte whatever they
 * contain, if they are UTF-8; names that are not UTF-8, symlinks, special
 * files and unreadable or vanished entries are skipped with a warning (a
 * symlink is never followed); gsync never deletes at the destination. For each
 * tree: no run crashes, and the destination equals the shippable part of the
 * source.
 */
let w: JobWorld;
beforeAll(assertBuilt);
afterEach(async () => {
  if (w) for (const d of chmodded.splice(0)) fs.chmodSync(d, 0o755);
  await w?.cleanup();
});
const chmodded: string[] = [];
const silent = pino({ level: 'silent' });

interface Captured {
  logger: pino.Logger;
  records: Array<Record<string, any>>;
}
function capture(): Captured {
  const records: Array<Record<string, any>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s)) });
  return { logger, records };
}
const skippedWarnings = (c: Captured) => c.records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('skipped: ')).map((r) => `${r.reason} ${r.path}`);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Relative path → content ("/" for a directory) of what a tree holds that gsync
 * can ship: UTF-8 names only, symlinks left out, unreadable entries left out,
 * `excluded` paths left out.
 */
function shippable(root: string, excluded: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: Buffer, rel: string) => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(abs, { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const raw of names) {
      let name: string;
      try {
        name = strictUtf8.decode(raw);
      } catch {
        continue;
      }
      const r = rel ? `${rel}/${name}` : name;
      if (excluded(r)) continue;
      const child = Buffer.concat([abs, Buffer.from('/'), raw]);
      const st = fs.lstatSync(child);
      if (st.isDirectory()) {
        try {
          fs.readdirSync(child);
        } catch {
          continue;
        }
        out[r + '/'] = '';
        walk(child, r);
      } else if (st.isFile()) {
        try {
          out[r] = fs.readFileSync(child, 'utf8');
        } catch {
          continue;
        }
      }
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

/** A file, with its mtime set some seconds in the past (whole seconds, as Globus compares). */
function put(rel: string, content: string, secondsAgo: number) {
  const abs = path.join(w.src, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  const t = Math.floor(Date.now() / 1000) - secondsAgo;
  fs.utimesSync(abs, t, t);
}

const expectShipped = (excluded?: (rel: string) => boolean) => expect(shippable(w.dst, excluded)).toEqual(shippable(w.src, excluded));

const HOSTILE_NAMES = [
  'with space.txt',
  ' leading space.txt',
  'trailing space.txt ',
  '  ',
  'new\nline.txt',
  'carriage\rreturn.txt',
  'tab\there.txt',
  'double"quote.txt',
  "single'quote.txt",
  'back\\slash.txt',
  '$(echo no).txt',
  '*?[x].txt',
  '%2F and %00.txt',
  '#hash&amp;.txt',
  '-leading-dash.txt',
  '.hidden',
  'caf\u00e9.txt', // NFC
  'cafe\u0301.txt', // NFD: the same name to a person, another file to the kernel
  '\u{1F600} emoji.txt',
  '\u202Eright-to-left.txt',
  'x'.repeat(251) + '.txt', // 255 bytes, NAME_MAX
];

describe('hostile trees', () => {
  it('names with spaces, newlines, quotes, NFC and NFD forms, 255 bytes: shipped byte for byte, as single items and in recursive ones', async () => {
    w = await jobWorld();
    put('base.txt', 'base', 3600);
    expect((await w.run()).result).toBe('succeeded');
    // Into the shipped root: each goes as its own item, so every name is written in the transfer document.
    HOSTILE_NAMES.forEach((n, i) => put(n, `file ${i}`, 600));
    // And the same names inside a new directory, which goes as one recursive item.
    HOSTILE_NAMES.forEach((n, i) => put(`fresh dir/${n}`, `nested ${i}`, 600));
    const c = capture();
    const r = await w.run({ logger: c.logger });
    expect(r.result).toBe('succeeded');
    expect(r.items).toBe(HOSTILE_NAMES.length + 1);
    expect(r.files).toBe(HOSTILE_NAMES.length * 2);
    expect(skippedWarnings(c)).toEqual([]);
    expect(fs.readFileSync(path.join(w.dst, 'caf\u00e9.txt'), 'utf8')).toBe(`file ${HOSTILE_NAMES.indexOf('caf\u00e9.txt')}`);
    expect(fs.readFileSync(path.join(w.dst, 'cafe\u0301.txt'), 'utf8')).toBe(`file ${HOSTILE_NAMES.indexOf('cafe\u0301.txt')}`);
    expectShipped();
    // Edited again, through the CLI this time: a child process writes the same document.
    HOSTILE_NAMES.forEach((n, i) => put(n, `edited ${i}`, 60));
    const cli = await gsync(['run', '--wait', '--config', w.configFile], { env: { ...process.env, ...w.env } });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`SUCCEEDED: ${HOSTILE_NAMES.length} of ${HOSTILE_NAMES.length} files delivered`));
    expectShipped();
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('names that are not UTF-8 are skipped with a warning naming their bytes; everything else ships', async () => {
    w = await jobWorld();
    const src = Buffer.from(w.src + '/');
    fs.writeFileSync(Buffer.concat([src, Buffer.from([0x66, 0xff, 0x6f])]), 'latin1 junk'); // "f\xffo"
    fs.writeFileSync(Buffer.concat([src, Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 e acute');
    const badDir = Buffer.concat([src, Buffer.from([0xc3, 0x28])]); // invalid 2-byte sequence
    fs.mkdirSync(badDir);
    fs.writeFileSync(Buffer.concat([badDir, Buffer.from('/inside.txt')]), 'under a bad name');
    put('ok.txt', 'fine', 600);
    put('d/ok2.txt', 'fine too', 600);
    const c = capture();
    const r = await w.run({ logger: c.logger });
    // Shipped, but three names can never ship as they are: not a success (issue 31.3, rsync's 23).
    expect(r.result).toBe('problems');
    expect(r.plan.unshippable).toBe(3);
    expect(exitCodeForRun(r)).toBe(1);
    expect(r.files).toBe(2);
    expect(skippedWarnings(c).sort()).toEqual(['non-utf8 \\xc3(', 'non-utf8 caf\\xe9.txt', 'non-utf8 f\\xffo']);
    expectShipped();
    expect(fs.readdirSync(w.dst).sort()).toEqual(['d', 'ok.txt']);
    const again = await w.run();
    expect(again.items).toBe(0);
    expect(again.result).toBe('problems');
  });

  it('very long paths: deep nesting near PATH_MAX ships, and an edit at the bottom ships as a single item', async () => {
    w = await jobWorld();
    const budget = 4096 - 1 - Math.max(w.src.length, w.dst.length) - 1;
    const parts: string[] = [];
    for (let i = 0; (parts.length + 1) * 201 + 255 < budget; i++) parts.push(`${String(i).padStart(3, '0')}${'d'.repeat(197)}`);
    const deep = parts.join('/');
    const leaf = `${deep}/${'f'.repeat(250)}.txt`;
    expect(path.join(w.src, leaf).length).toBeGreaterThan(3800);
    expect(path.join(w.src, leaf).length).toBeLessThan(4096);
    put(leaf, 'at the bottom', 3600);
    put(`${deep}/short.txt`, 'short', 3600);
    expect((await w.run()).result).toBe('succeeded');
    expectShipped();
    put(leaf, 'at the bottom, edited', 60);
    const r = await w.run();
    expect(r.result).toBe('succeeded');
    expect(r.items).toBe(1);
    expect(w.srv.tasks.list().at(-1)!.items[0]!.source_path).toBe(`/${leaf}`);
    expectShipped();
  });

  it('symlink loops and links out of the tree are never followed or shipped', async () => {
    w = await jobWorld();
    put('real/a.txt', 'a', 600);
    fs.symlinkSync('.', path.join(w.src, 'self'));
    fs.symlinkSync('..', path.join(w.src, 'real', 'up'));
    fs.symlinkSync('loop-b', path.join(w.src, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(w.src, 'loop-b'));
    fs.symlinkSync('/etc', path.join(w.src, 'etc'));
    fs.symlinkSync('a.txt', path.join(w.src, 'real', 'a-link.txt'));
    fs.symlinkSync('nowhere', path.join(w.src, 'dangling'));
    const c = capture();
    const r = await w.run({ logger: c.logger });
    expect(r.result).toBe('succeeded');
    expect(r.files).toBe(1);
    expect(skippedWarnings(c).sort()).toEqual(['symlink dangling', 'symlink etc', 'symlink loop-a', 'symlink loop-b', 'symlink real/a-link.txt', 'symlink real/up', 'symlink self']);
    expectShipped();
    expect(fs.readdirSync(w.dst).sort()).toEqual(['real']);
    expect(fs.readdirSync(path.join(w.dst, 'real'))).toEqual(['a.txt']);
  });

  it('an unreadable directory is skipped with a warning, exits 1 and is counted in the metrics until it can be read, then ships', async () => {
    w = await jobWorld({}, { metrics: {} });
    const prom = path.join(w.base, 'gsync.prom');
    fs.writeFileSync(w.configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(w.configFile, 'utf8')), metrics: { textfile: prom } }));
    w.config.metrics.textfile = prom;
    put('open/a.txt', 'a', 600);
    put('closed/secret.txt', 's', 600);
    put('closed/sub/deeper.txt', 'd', 600);
    const closed = path.join(w.src, 'closed');
    fs.chmodSync(closed, 0o000);
    chmodded.push(closed);
    // The built CLI, without root's privileges when the suite runs as root (test/helpers/unprivileged.ts).
    const r = await gsync(['run', '--wait', '--config', w.configFile], { env: { ...process.env, ...w.env, GSYNC_CONFIG: '' }, unprivileged: true });
    expect(r.code).toBe(1); // issue 31.3: the source could not be read (README exit codes; rsync's 23)
    const metric = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(fs.readFileSync(prom, 'utf8'))?.[1]);
    expect(metric('gsync_unreadable_paths')).toBe(1);
    expect(fs.readFileSync(prom, 'utf8')).not.toMatch(/^gsync_last_success_timestamp_seconds/m);
    expect(metric('gsync_last_run_exit_code')).toBe(1);
    const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
    expect(skippedWarnings({ logger: silent, records })).toEqual(['unreadable closed']);
    expect(r.stdout).toMatch(/\b1 files?\b/);
    // What could be read, and nothing of what could not (this process, root or not, can read both).
    expect(shippable(w.dst)).toEqual({ 'open/': '', 'open/a.txt': 'a' });
    fs.chmodSync(closed, 0o755);
    const later = await w.run();
    expect(later.files).toBe(2);
    expect(later.result).toBe('succeeded');
    expect(metric('gsync_unreadable_paths')).toBe(0);
    expect(metric('gsync_last_success_timestamp_seconds')).toBeGreaterThan(0);
    expectShipped();
  });

  it('a directory that vanishes and a file that grows while the scan runs: the vanished one is skipped, the grown one ships again', async () => {
    // 10,000 excluded names make the walk pass its first progress report (every 10,000 entries)
    // while it records bulk/, after bulk/ was compared (a-grows.txt lstat'd) and before bulk/zz-vanishes/
    // is read. One thread, so that no worker reads bulk/zz-vanishes/ ahead of the recording.
    w = await jobWorld({}, { scan: { minAgeSeconds: 0, exclude: ['bulk/x*'], threads: 1 } });
    put('bulk/a-grows.txt', 'small', 600);
    put('bulk/zz-vanishes/inside.txt', 'here at listing time', 600);
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(w.src, 'bulk', `x${i}`), '');
    const excluded = picomatch('bulk/x*', { dot: true });
    let hits = 0;
    const c = capture();
    const r = await w.run({
      logger: c.logger,
      // Progress comes every N entries (N <= 10,000); act at the first report after a-grows.txt was seen.
      onScanProgress: (counts) => {
        if (counts.files < 1 || hits++ > 0) return;
        fs.rmSync(path.join(w.src, 'bulk', 'zz-vanishes'), { recursive: true });
        fs.appendFileSync(path.join(w.src, 'bulk', 'a-grows.txt'), ', then much bigger');
      },
    });
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(r.result).toBe('succeeded');
    expect(skippedWarnings(c)).toEqual(['vanished bulk/zz-vanishes']);
    // The copy took the grown file; its recorded fingerprint is the smaller one seen by the scan.
    expectShipped(excluded);
    const next = await w.run();
    expect(next.files).toBe(1);
    expect(w.srv.tasks.list().at(-1)!.items.map((i) => i.source_path)).toEqual(['/bulk/a-grows.txt']);
    expectShipped(excluded);
    expect((await w.run()).result).toBe('nothing-to-do');
  });

  it('a directory replaced by a file between runs: the task faults on the directory in the way (gsync never deletes); it ships once that is removed', async () => {
    w = await jobWorld();
    put('d/one.txt', '1', 3600);
    put('d/two/three.txt', '3', 3600);
    put('other.txt', 'o', 3600);
    expect((await w.run()).result).toBe('succeeded');
    fs.rmSync(path.join(w.src, 'd'), { recursive: true });
    put('d', 'now a file', 600);
    const c = capture();
    const submitted = await w.run({ wait: false, logger: c.logger });
    expect(submitted.result).toBe('submitted');
    expect(submitted.files).toBe(1);
    const task = w.srv.tasks.get(submitted.taskId!)!;
    for (let i = 0; task.faults === 0; i++) {
      expect(i, 'the task never faulted').toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(task.niceStatus?.code).toBe('IS_A_DIRECTORY');
    const c2 = capture();
    const report = await w.run({ wait: false, logger: c2.logger });
    expect(exitCodeForRun(report)).toBe(0);
    expect(report.settled.active).toBe(1);
    expect(c2.records.some((l) => l.level === 40 && /task ACTIVE with \d+ faults/.test(l.msg))).toBe(true);
    // The operator clears the way at the destination; Globus's retry then succeeds.
    fs.rmSync(path.join(w.dst, 'd'), { recursive: true });
    await w.srv.tasks.waitFor(task.id);
    expect((await w.run()).settled.succeeded).toBe(1);
    expectShipped();
  });
});
