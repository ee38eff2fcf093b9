import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';

/** Issue 31.2: a reader that closes the pipe early (`| head -1`) ends gsync quietly, as SIGPIPE ends a Unix tool. */
beforeAll(assertBuilt);

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

/**
 * Runs `gsync args | reader` in bash; gsync's own exit code and stderr, and what the reader printed.
 * `true` reads nothing and is gone before gsync starts writing, so every write meets a closed pipe.
 */
function piped(args: string[], env: NodeJS.ProcessEnv, reader = 'head -1'): Promise<{ code: number; stderr: string; stdout: string }> {
  const script = `"$@" | ${reader}; echo "gsync exited \${PIPESTATUS[0]}" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', process.execPath, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const m = /gsync exited (\d+)\n$/.exec(stderr);
      if (!m) return reject(new Error(`no exit status in: ${stderr}`));
      resolve({ code: Number(m[1]), stderr: stderr.slice(0, m.index), stdout });
    });
  });
}

describe('a closed pipe', () => {
  it('plan --json | head -1 (or a reader that is gone): gsync stops quietly with 141 (no EPIPE, no stack trace)', async () => {
    // A deferred (too recent) file keeps the directory from going as one recursive item: 3,000 items, far more than a pipe holds.
    w = await jobWorld({}, { scan: { minAgeSeconds: 3600 } });
    const dir = path.join(w.src, 'many');
    fs.mkdirSync(dir);
    const old = new Date('2020-01-01T00:00:00Z');
    for (let i = 0; i < 3000; i++) {
      fs.writeFileSync(path.join(dir, `file-${i}.dat`), '');
      fs.utimesSync(path.join(dir, `file-${i}.dat`), old, old);
    }
    fs.writeFileSync(path.join(dir, 'fresh.dat'), '');
    let r = await piped(['--config', w.configFile, 'plan', '--json'], w.env);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe('');
    expect([0, 141]).toContain(r.code); // 0 when the whole plan fitted in the pipe before head left
    r = await piped(['--config', w.configFile, 'plan', '--json'], w.env, 'true');
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });

  it('test-config | head -1: the checklist stops quietly', async () => {
    w = await jobWorld();
    const r = await piped(['--config', w.configFile, 'test-config'], w.env);
    expect(r.stdout).toMatch(/^ok   config /);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });
});
