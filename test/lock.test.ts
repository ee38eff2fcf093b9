import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GsyncError } from '../src/errors/errors.js';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { acquireJobLock } from '../src/lock/job-lock.js';
import { tempDir } from './helpers/temp.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A separate process that takes the lock, says "held", then sleeps until killed. */
function holdInChild(lockPath: string): Promise<ChildProcess> {
  // The compiled module: Node 20 cannot run TypeScript itself (npm test builds first).
  const moduleUrl = new URL('../dist/src/lock/job-lock.js', import.meta.url).href;
  const code = `
    const { acquireJobLock } = await import(${JSON.stringify(moduleUrl)});
    acquireJobLock(${JSON.stringify(lockPath)});
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve(child));
    child.on('exit', (c) => reject(new Error(`lock holder exited early with ${c}`)));
  });
}

function tempLock(): string {
  return path.join(tempDir('gsync-lock-'), 'job.db.lock');
}

describe('job lock', () => {
  it('refuses a second holder in the same process, naming the holder pid, exit 75', () => {
    const lockPath = tempLock();
    // A live pid (the holder's pid is only named when that process exists).
    const holderPid = process.ppid;
    const lock = acquireJobLock(lockPath, holderPid);
    let caught: unknown;
    try {
      acquireJobLock(lockPath);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GsyncError);
    expect((caught as Error).message).toContain(`pid ${holderPid}`);
    expect(exitCodeFor(caught)).toBe(75);
    lock.release();
    acquireJobLock(lockPath).release();
  });

  it('does not name a dead process left in the pid file', () => {
    const lockPath = tempLock();
    const lock = acquireJobLock(lockPath);
    // As if a run that died had left its pid and the new holder had not yet written its own.
    fs.writeFileSync(`${lockPath}.pid`, '2147483646\n');
    expect(() => acquireJobLock(lockPath)).toThrow(/holds the lock for this job: /);
    lock.release();
  });

  it('is held against another process, and taken over at once when that process is killed', async () => {
    const lockPath = tempLock();
    const child = await holdInChild(lockPath);
    expect(() => acquireJobLock(lockPath)).toThrow(`pid ${child.pid}`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // No cleanup: the kernel dropped the dead holder's lock.
    const lock = acquireJobLock(lockPath);
    expect(fs.readFileSync(`${lockPath}.pid`, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(`${lockPath}.pid`)).toBe(false);
  });

  it('stays held after its holder drops the handle and the garbage collector has run', async () => {
    const lockPath = tempLock();
    const moduleUrl = new URL('../dist/src/lock/job-lock.js', import.meta.url).href;
    // The child takes the lock, keeps no reference to the handle, then collects
    // until the handle itself is seen finalised (so the collection really ran)
    // and a few times more, before it reports.
    const code = `
      const { acquireJobLock } = await import(${JSON.stringify(moduleUrl)});
      let finalised = false;
      const registry = new FinalizationRegistry(() => { finalised = true; });
      (() => { registry.register(acquireJobLock(${JSON.stringify(lockPath)}), 'handle'); })();
      for (let i = 0; !finalised || i < 5; i++) {
        globalThis.gc();
        await new Promise((r) => setImmediate(r));
        if (i > 10_000) { process.stdout.write('never finalised\\n'); process.exit(3); }
      }
      process.stdout.write('collected\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const said = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (c) => resolve(`exited ${c}`));
    });
    expect(said).toBe('collected');
    expect(() => acquireJobLock(lockPath)).toThrow(`pid ${child.pid}`);
  });
});
