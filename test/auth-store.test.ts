import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock } from '../src/auth/file-lock.js';
import { TokenStore, type StoreFs, type TokenFile } from '../src/auth/token-store.js';
import { GsyncError } from '../src/errors/errors.js';
import { tempDir } from './helpers/temp.js';

const root = path.resolve(__dirname, '..');
const distStore = path.join(root, 'dist/src/auth/token-store.js');

let dir: string;
beforeEach(() => {
  dir = tempDir('gsync-auth-store-');
});

const sample = (n: number): TokenFile => ({
  version: 1,
  tokens: { 'transfer.api.globus.org': { access_token: `at-${n}`, expires_at: 1_000 + n, refresh_token: `rt-${n}`, scope: 'x' } },
});

describe('token store', () => {
  it('creates the parent directory 0700 and the file 0600, and reads back what it wrote', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'job.tokens.json');
    const store = new TokenStore(file);
    expect(store.read()).toBeUndefined();
    await store.update(async () => ({ next: sample(1), result: undefined }));
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(store.read()).toEqual(sample(1));
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['job.tokens.json']); // no temp or lock file left
  });

  it('opens every file it writes with wx and mode 0600, and never chmods', async () => {
    const opens: { p: string; flags: unknown; mode: unknown }[] = [];
    const spy: StoreFs = {
      ...fs,
      openSync: ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
        opens.push({ p: String(p), flags, mode });
        return fs.openSync(p, flags, mode);
      }) as typeof fs.openSync,
    };
    const chmod = fs.chmodSync;
    let chmods = 0;
    (fs as { chmodSync: unknown }).chmodSync = (...a: Parameters<typeof fs.chmodSync>) => {
      chmods++;
      return chmod(...a);
    };
    try {
      const store = new TokenStore(path.join(dir, 't.json'), { fs: spy });
      for (let i = 0; i < 3; i++) await store.update(async () => ({ next: sample(i), result: undefined }));
    } finally {
      (fs as { chmodSync: unknown }).chmodSync = chmod;
    }
    const writes = opens.filter((o) => o.flags !== 'r');
    expect(writes).toHaveLength(3);
    for (const w of writes) {
      expect(w.flags).toBe('wx');
      expect(w.mode).toBe(0o600);
      expect(path.dirname(w.p)).toBe(dir); // same directory, so the rename is atomic
    }
    expect(chmods).toBe(0);
  });

  it('deletes the file when the update returns null', async () => {
    const store = new TokenStore(path.join(dir, 't.json'));
    await store.update(async () => ({ next: sample(1), result: undefined }));
    await store.update(async () => ({ next: null, result: undefined }));
    expect(fs.existsSync(store.file)).toBe(false);
  });

  it('names the file, not its contents, when the file is damaged', () => {
    const file = path.join(dir, 't.json');
    fs.writeFileSync(file, '{"version":1,"tokens":{"transfer.api.globus.org":{"access_token":"SECRET-AT"}}}', { mode: 0o600 });
    let err: unknown;
    try {
      new TokenStore(file).read();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GsyncError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).not.toContain('SECRET-AT');
  });
});

describe('token store across processes', () => {
  beforeAll(() => {
    if (!fs.existsSync(distStore)) throw new Error('build first: npx tsc -p . (these tests run dist/src/auth in child processes)');
  });

  it('no file in the directory is ever readable by group or others while 300 writes happen', async () => {
    const file = path.join(dir, 'job.tokens.json');
    const script = `
      const { TokenStore } = await import(${JSON.stringify(distStore)});
      const s = new TokenStore(${JSON.stringify(file)});
      for (let i = 0; i < 300; i++) await s.update(async () => ({ next: { version: 1, tokens: { t: { access_token: 'a' + i, expires_at: i, scope: '' } } }, result: 0 }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const seen = new Map<string, number>(); // file name -> mode
    let observations = 0;
    while (!done) {
      for (const name of safeReaddir(dir)) {
        try {
          const mode = fs.statSync(path.join(dir, name)).mode & 0o777;
          observations++;
          if (!seen.has(name) || mode !== 0o600) seen.set(name, mode);
        } catch {
          /* renamed or removed between readdir and stat */
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await exited).toBe(0);
    expect(observations).toBeGreaterThan(50);
    expect([...seen.keys()].some((n) => n.endsWith('.tmp'))).toBe(true); // the poll did catch temp files
    for (const [name, mode] of seen) expect({ name, mode: mode.toString(8) }).toEqual({ name, mode: '600' });
  });

  it('10 processes updating at once lose no update and leave valid JSON', async () => {
    const file = path.join(dir, 'job.tokens.json');
    const perChild = 15;
    const script = `
      const { TokenStore } = await import(${JSON.stringify(distStore)});
      const s = new TokenStore(${JSON.stringify(file)});
      for (let i = 0; i < ${perChild}; i++) {
        await s.update(async (cur) => {
          const n = cur ? cur.tokens.t.expires_at : 0;
          return { next: { version: 1, tokens: { t: { access_token: 'x'.repeat(2000), expires_at: n + 1, scope: '' } } }, result: 0 };
        });
      }
    `;
    const codes = await Promise.all(
      Array.from({ length: 10 }, () => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
        return new Promise<number | null>((resolve) => c.on('exit', resolve));
      }),
    );
    expect(codes).toEqual(Array(10).fill(0));
    const final = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(final.tokens.t.expires_at).toBe(10 * perChild);
    expect(fs.readdirSync(dir)).toEqual(['job.tokens.json']);
  });
});

describe('lock file', () => {
  it('takes over a lock whose holder is dead', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const lockPath = path.join(dir, 't.json.lock');
    fs.writeFileSync(lockPath, `${dead}@${os.hostname()} old\n`);
    const store = new TokenStore(path.join(dir, 't.json'), { lock: { waitMs: 2000 } });
    await store.update(async () => ({ next: sample(1), result: undefined }));
    expect(store.read()).toEqual(sample(1));
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('waits for a live holder and then fails naming it', async () => {
    const lockPath = path.join(dir, 'x.lock');
    const held = await acquireFileLock(lockPath);
    await expect(acquireFileLock(lockPath, { waitMs: 100 })).rejects.toThrow(`held by pid ${process.pid}`);
    held.release();
    const again = await acquireFileLock(lockPath, { waitMs: 100 });
    again.release();
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('a holder on another host is taken over only once the lock is old', async () => {
    const lockPath = path.join(dir, 'x.lock');
    fs.writeFileSync(lockPath, `1@some-other-host nonce\n`);
    await expect(acquireFileLock(lockPath, { waitMs: 100, staleAfterMs: 60_000 })).rejects.toThrow('some-other-host');
    const past = new Date(Date.now() - 120_000);
    fs.utimesSync(lockPath, past, past);
    const lock = await acquireFileLock(lockPath, { waitMs: 100, staleAfterMs: 60_000 });
    lock.release();
  });
});

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}
