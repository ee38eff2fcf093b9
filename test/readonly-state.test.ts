import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeLogin } from './helpers/auth.js';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';

/** Issue 31.5: a state folder gsync may not write names the path and the real remedy, in run and in test-config. */
beforeAll(assertBuilt);

let w: JobWorld | undefined;
let locked: string | undefined;
afterEach(async () => {
  if (locked) fs.chmodSync(locked, 0o700);
  await w?.cleanup();
  w = locked = undefined;
});

/** A job whose state database and token file live in a folder it may read but not write. */
async function readOnlyStateJob(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  w = await jobWorld();
  const dir = path.join(w.base, 'var-lib-gsync');
  fs.mkdirSync(dir);
  const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
  raw.state = { path: path.join(dir, 'e2e.db') };
  raw.auth.tokenFile = path.join(dir, 'tokens.json');
  fs.writeFileSync(w.configFile, JSON.stringify(raw));
  // A user login about to expire: test-config must refresh it, which takes the token file's lock.
  writeLogin(w.srv, raw.auth.tokenFile, { expiresIn: 5 });
  fs.chmodSync(dir, 0o500);
  locked = dir;
  return { dir, env: { PATH: process.env.PATH, HOME: w.base, ...w.srv.env } };
}

describe('a read-only state folder', () => {
  it('run: one line naming the file, the folder and the permission to give, exit 2', async () => {
    const { dir, env } = await readOnlyStateJob();
    const r = await gsync(['--config', w!.configFile, 'run'], { env, unprivileged: true });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^gsync: the job lock beside the state database: ${dir}/e2e.db.lock cannot be written \\(EACCES\\) \\(give user \\S+ write permission on ${dir}, or point state.path at a folder it can write\\)\\n$`));
    expect(r.code).toBe(2);
  });

  it('test-config: the credentials line names the token lock and the permission, not gsync login', async () => {
    const { dir, env } = await readOnlyStateJob();
    const r = await gsync(['--config', w!.configFile, 'test-config'], { env, unprivileged: true });
    const line = r.stdout.split('\n').find((l) => l.startsWith('FAIL credentials'));
    expect(line).toMatch(new RegExp(`^FAIL credentials: ${dir}/tokens.json\\S* cannot be written \\(EACCES\\) -> give user \\S+ write permission on ${dir}, or point auth.tokenFile at a folder it can write$`));
    expect(r.stdout).toMatch(new RegExp(`FAIL state database ${dir}/e2e.db: ${dir} is not writable`));
  });
});
