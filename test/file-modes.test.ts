import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, gsync } from './helpers/cli.js';
import { jobWorld, type JobWorld } from './helpers/job-world.js';

/**
 * Issue 35: every file and folder gsync creates has its documented mode (README,
 * "Files gsync writes") from birth, whatever the umask: 0600 and 0700, except the
 * metrics textfile (0644) and a folder made for it (0755).
 */
beforeAll(assertBuilt);

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

/** The hook records the modes in the state folder while gsync holds the database open, so -wal and -shm exist. */
const RECORD_MODES = `
const fs = require('fs'), path = require('path');
const [dir, out] = process.argv.slice(1);
const seen = fs.readdirSync(dir).map((n) => [n, (fs.statSync(path.join(dir, n)).mode & 0o777).toString(8)]);
fs.writeFileSync(out, JSON.stringify(Object.fromEntries(seen)));
`;

function modesUnder(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const abs = path.join(dir, name);
      const st = fs.lstatSync(abs);
      out[path.relative(root, abs)] = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) walk(abs);
    }
  };
  walk(root);
  return out;
}

describe.each([0o022, 0o000])('under umask %o', (umask) => {
  it('gsync creates its state, lock, log, manifests and folders 0600/0700, the metrics textfile 0644', async () => {
    // gsync makes everything below base/home and base/out itself; the state goes to its default folder.
    w = await jobWorld({}, { state: {}, hooks: {}, log: {}, metrics: {} });
    const home = path.join(w.base, 'home');
    const out = path.join(w.base, 'out');
    fs.mkdirSync(home);
    fs.mkdirSync(out);
    const stateDir = path.join(home, '.local', 'state', 'gsync');
    const seenByHook = path.join(w.base, 'hook-saw.json');
    const raw = JSON.parse(fs.readFileSync(w.configFile, 'utf8'));
    raw.hooks = { onSucceeded: [process.execPath, '-e', RECORD_MODES, stateDir, seenByHook] };
    raw.log = { file: path.join(out, 'logs', 'gsync', 'e2e.log') };
    raw.metrics = { textfile: path.join(out, 'textfile', 'gsync-e2e.prom') };
    fs.writeFileSync(w.configFile, JSON.stringify(raw));
    fs.writeFileSync(path.join(w.src, 'a.txt'), 'a');
    fs.mkdirSync(path.join(w.src, 'd'));
    fs.writeFileSync(path.join(w.src, 'd', 'b.txt'), 'bb');

    const env = { ...w.env, HOME: home, XDG_STATE_HOME: '', XDG_CONFIG_HOME: '' };
    const run = await gsync(['--config', w.configFile, 'run', '--wait'], { env, umask });
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.code).toBe(0);

    const during = JSON.parse(fs.readFileSync(seenByHook, 'utf8')) as Record<string, string>;
    expect(Object.keys(during).sort()).toEqual(['e2e.db', 'e2e.db-shm', 'e2e.db-wal', 'e2e.db.lock', 'e2e.db.lock.pid', 'e2e.manifests']);
    expect(Object.values(during).filter((m) => m !== '600' && m !== '700')).toEqual([]);

    const after = { ...modesUnder(home), ...modesUnder(out) };
    const manifests = Object.keys(after).filter((p) => p.endsWith('.jsonl'));
    expect(manifests).toHaveLength(1);
    expect(after).toEqual({
      '.local': '700',
      '.local/state': '700',
      '.local/state/gsync': '700',
      '.local/state/gsync/e2e.db': '600',
      '.local/state/gsync/e2e.db.lock': '600',
      '.local/state/gsync/e2e.manifests': '700',
      [manifests[0]!]: '600',
      logs: '700',
      'logs/gsync': '700',
      'logs/gsync/e2e.log': '600',
      textfile: '755',
      'textfile/gsync-e2e.prom': '644',
    });
  });
});
