import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/commands/context.js';
import { testConfigCommand } from '../src/commands/test-config.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_ACCOUNT_ENV, DEMO_SERVICE_CLIENT_ID } from '../src/server/index.js';
import { openState } from '../src/state/open.js';
import { writeLogin } from './helpers/auth.js';
import { assertBuilt, CLI } from './helpers/cli.js';
import { gsync } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';
import { DST_ID, SRC_ID, TRANSFER_SCOPE, world, type World } from './server-support.js';

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(() => w.cleanup());
afterEach(() => {
  w.srv.faults.requireConsent(SRC_ID, false);
  w.srv.faults.clear();
});

const SERVICE = DEMO_SERVICE_ACCOUNT_ENV;
const UNKNOWN_ID = '9d6d994a-6d04-4fa4-b93b-1c8a1f5a0f1e';

interface Job {
  home: string;
  config: string;
  statePath: string;
  tokenFile: string;
  destDir: string;
}

let jobs = 0;

/** A job whose source is the server's source folder and whose destination path is fresh under its destination folder. */
function job(patch: (c: Record<string, any>) => void = () => {}, opts: { makeDest?: boolean } = {}): Job {
  const home = tempDir('gsync-test-config-');
  const destRel = `archive-${++jobs}`;
  const destDir = path.join(w.dst, destRel);
  if (opts.makeDest !== false) fs.mkdirSync(destDir);
  const statePath = path.join(home, 'state', 'job.db');
  const tokenFile = path.join(home, 'tokens.json');
  const raw: Record<string, any> = {
    name: 'tc',
    source: { collection: SRC_ID, path: w.src, collectionPath: '/' },
    destination: { collection: DST_ID, path: `/${destRel}` },
    auth: { clientId: DEMO_CLIENT_ID, tokenFile },
    state: { path: statePath },
  };
  patch(raw);
  const config = path.join(home, 'gsync.json');
  fs.writeFileSync(config, JSON.stringify(raw));
  return { home, config, statePath, tokenFile, destDir };
}

/** A token file as `gsync login` leaves it. */
function userLogin(j: Job, scope?: string): void {
  writeLogin(w.srv, j.tokenFile, { scope });
}

async function check(j: Job, opts: { fix?: boolean; login?: boolean; env?: NodeJS.ProcessEnv; interactive?: boolean; srv?: World } = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ctx: CommandContext = {
    global: { config: j.config, quiet: true },
    out,
    env: { ...(opts.srv ?? w).srv.env, ...(opts.env ?? SERVICE) },
    interactive: opts.interactive ?? false,
    // Never ended: a prompt would wait on it and time the test out.
    stdin: new PassThrough(),
  };
  const code = await testConfigCommand({ fix: opts.fix, login: opts.login }, ctx);
  const lines = text.trimEnd().split('\n');
  return { code, text, lines, line: (prefix: string) => lines.find((l) => l.startsWith(prefix)) };
}

describe('gsync test-config', () => {
  it('everything in order: one ok line per check, a summary, exit 0, nothing created', async () => {
    const j = job();
    const r = await check(j);
    expect(r.lines).toEqual([
      `ok   config ${j.config} is valid`,
      `ok   source directory ${w.src} is readable (its top level only; a run warns about anything below it cannot read, and exits 1)`,
      `ok   state database ${j.statePath} does not exist yet and can be created`,
      expect.stringMatching(new RegExp(`^ok   credentials service account ${DEMO_SERVICE_CLIENT_ID} can get a token, valid until \\d{4}-`)),
      expect.stringMatching(new RegExp(`^ok   source collection ${SRC_ID} \\(.*\\) is a GCSv5 mapped collection$`)),
      `ok   source data access to ${SRC_ID} is granted`,
      'ok   source path / exists',
      expect.stringMatching(new RegExp(`^ok   destination collection ${DST_ID} \\(.*\\) is a GCSv5 guest collection$`)),
      `ok   destination data access to ${DST_ID} is granted`,
      `ok   destination path /${path.basename(j.destDir)} exists`,
      expect.stringMatching(new RegExp(`^ok   source mapping ${w.src} as / is right: Globus sees a probe file \\(\\.gsync-probe-[0-9a-f]{16}, \\d+ B\\) at /\\.gsync-probe-[0-9a-f]{16}$`)),
      'all 11 checks passed: this job is ready for cron',
    ]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.dirname(j.statePath))).toBe(false);
  });

  it('an invalid config: every problem as a FAIL line, exit 2', async () => {
    const j = job((c) => {
      c.source.collection = 'not-a-uuid';
      c.scan = { minAgeSeconds: -1 };
    });
    const r = await check(j);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual([
      expect.stringMatching(new RegExp(`^FAIL config ${j.config}: source\\.collection: must be a UUID .* -> fix it in ${j.config}$`)),
      `FAIL config ${j.config}: scan.minAgeSeconds: must be 0 or more -> fix it in ${j.config}`,
    ]);
  });

  it('a config file that is not JSON: one FAIL line, exit 2', async () => {
    const j = job();
    fs.writeFileSync(j.config, '{ nope');
    const r = await check(j);
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^FAIL config: config file .* is not valid JSON/);
  });

  it('a missing source directory fails its check, and the other checks still run; exit 1', async () => {
    const j = job((c) => (c.source.path = '/nonexistent/gsync/source'));
    const r = await check(j);
    expect(r.line('FAIL source directory')).toBe('FAIL source directory /nonexistent/gsync/source: does not exist -> create it, or fix source.path in ' + j.config);
    expect(r.line('ok   credentials')).toBeDefined();
    expect(r.line('ok   destination path')).toBeDefined();
    expect(r.lines.at(-1)).toBe('1 of 11 checks failed (source directory), 1 skipped: not ready for cron');
    expect(r.code).toBe(1);
  });

  it('a state directory that is not writable fails its check', async () => {
    const j = job();
    const dir = path.join(j.home, 'locked');
    fs.mkdirSync(dir, { mode: 0o500 });
    fs.writeFileSync(j.config, JSON.stringify({ ...JSON.parse(fs.readFileSync(j.config, 'utf8')), state: { path: path.join(dir, 'job.db') } }));
    try {
      // The built CLI, without root's privileges when the suite runs as root (test/helpers/unprivileged.ts).
      const r = await gsync(['test-config', '--config', j.config], { env: { PATH: process.env.PATH, HOME: j.home, ...w.srv.env, ...SERVICE }, unprivileged: true });
      expect(r.stdout.split('\n').find((l) => l.startsWith('FAIL state database'))).toMatch(
        new RegExp(`^FAIL state database ${dir}/job.db: ${dir} is not writable \\(EACCES\\) -> `),
      );
      expect(r.code).toBe(1);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  it('what a run needs beyond the state: log folder, metrics folder and hook programs each get a line; nothing is created (issue 31.10, 31.8)', async () => {
    const j = job();
    const varLog = path.join(j.home, 'var-log');
    fs.mkdirSync(varLog, { mode: 0o500 });
    const metricsDir = path.join(j.home, 'textfile');
    fs.writeFileSync(
      j.config,
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(j.config, 'utf8')),
        log: { file: path.join(varLog, 'gsync', 'tc.log') },
        metrics: { textfile: path.join(metricsDir, 'gsync-tc.prom') },
        hooks: { onSucceeded: ['/usr/local/bin/gsync-no-such-hook', 'x'], onFailed: ['sh', '-c', 'true'] },
      }),
    );
    try {
      const r = await gsync(['test-config', '--config', j.config], { env: { PATH: process.env.PATH, HOME: j.home, ...w.srv.env, ...SERVICE }, unprivileged: true });
      const lines = r.stdout.split('\n');
      expect(lines.find((l) => l.startsWith('FAIL log file'))).toMatch(
        new RegExp(`^FAIL log file ${varLog}/gsync/tc.log: ${varLog}/gsync does not exist and user \\S+ cannot create it -> run: sudo install -d -o \\S+ -g \\S+ -m 0700 ${varLog}/gsync$`),
      );
      expect(lines.find((l) => l.startsWith('ok   metrics textfile'))).toBe(`ok   metrics textfile ${metricsDir}/gsync-tc.prom: can be created (gsync makes ${metricsDir})`.replace(': can', ' can'));
      expect(lines.find((l) => l.startsWith('FAIL hooks.onSucceeded'))).toBe(
        `FAIL hooks.onSucceeded /usr/local/bin/gsync-no-such-hook: does not exist -> fix hooks.onSucceeded in ${j.config} (its first element is the program, run without a shell)`,
      );
      expect(lines.find((l) => l.startsWith('ok   hooks.onFailed'))).toMatch(/^ok   hooks\.onFailed sh is \/\S+\/sh$/);
      expect(lines.find((l) => l.startsWith('ok   state database'))).toBeDefined();
      expect(r.stdout).toMatch(/2 of 15 checks failed \(log file, hooks\.onSucceeded\): not ready for cron\n$/);
      expect(r.code).toBe(1);
      expect(fs.readdirSync(varLog)).toEqual([]);
      expect(fs.existsSync(metricsDir)).toBe(false);
    } finally {
      fs.chmodSync(varLog, 0o700);
    }
  });

  it('a state path below a regular file fails (checkable even as root)', async () => {
    const j = job();
    const blocker = path.join(j.home, 'plain-file');
    fs.writeFileSync(blocker, 'x');
    fs.writeFileSync(j.config, JSON.stringify({ ...JSON.parse(fs.readFileSync(j.config, 'utf8')), state: { path: path.join(blocker, 'sub', 'job.db') } }));
    const r = await check(j);
    expect(r.line('FAIL state database')).toContain(`${blocker} is not a directory -> fix state.path in ${j.config}`);
    expect(r.code).toBe(1);
  });

  it('state.path pointing at a file that is not SQLite: reported, and the file is left as it was', async () => {
    const j = job();
    fs.mkdirSync(path.dirname(j.statePath));
    fs.writeFileSync(j.statePath, 'precious data, not a database\n'.repeat(100));
    const before = fs.readFileSync(j.statePath);
    const r = await check(j);
    expect(r.line('FAIL state database')).toBe(
      `FAIL state database ${j.statePath}: is not an SQLite database; gsync will not touch it -> point state.path at a new file or an existing gsync state database`,
    );
    expect(fs.readFileSync(j.statePath)).toEqual(before);
    expect(fs.readdirSync(path.dirname(j.statePath))).toEqual(['job.db']);
    expect(r.code).toBe(1);
  });

  it('an existing gsync state database passes', async () => {
    const j = job();
    openState(j.statePath).close();
    const r = await check(j);
    expect(r.line('ok   state database')).toBe(`ok   state database ${j.statePath} is a gsync database and writable`);
    expect(r.code).toBe(0);
  });

  it('a world-readable state database (an older gsync, a chmod): FAIL naming the chmod to run, and the file is left as it is', async () => {
    const j = job();
    openState(j.statePath).close();
    expect(fs.statSync(j.statePath).mode & 0o777).toBe(0o600);
    const quiet = await check(j);
    expect(quiet.line('ok   file modes')).toBe(`ok   file modes gsync's files (state database, lock, log, manifests) are readable by their owner only`);
    fs.chmodSync(j.statePath, 0o644);
    fs.writeFileSync(`${j.statePath}.lock`, '', { mode: 0o640 });
    fs.chmodSync(`${j.statePath}.lock`, 0o640);
    const r = await check(j);
    // SQLite gives the -wal the database's mode, so the state check's read-only open made it 0644 too.
    const line = r.line('FAIL file modes')!;
    expect(line).toMatch(/^FAIL file modes: readable by group or others: /);
    expect(line).toContain(`${j.statePath} (mode 644), `);
    expect(line).toContain(`${j.statePath}.lock (mode 640) -> run: chmod 600 ${j.statePath} `);
    expect(line.endsWith(` ${j.statePath}.lock`)).toBe(true);
    expect(r.lines.at(-1)).toBe('1 of 12 checks failed (file modes): not ready for cron');
    expect(r.code).toBe(1);
    expect(fs.statSync(j.statePath).mode & 0o777).toBe(0o644);
  });

  it('no credentials: FAIL naming gsync login, collections skipped, exit 77', async () => {
    const j = job();
    const r = await check(j, { env: {} });
    expect(r.line('FAIL credentials')).toBe(`FAIL credentials: no Globus login for this job (no token file at ${j.tokenFile}) -> run: gsync login --config ${j.config}`);
    expect(r.line(`skip source collection ${SRC_ID}`)).toBe(`skip source collection ${SRC_ID}: not checked without working credentials`);
    expect(r.line('skip destination collection')).toBeDefined();
    expect(r.code).toBe(77);
  });

  it('no credentials at a terminal with --no-login: the hint says to run gsync login now, and nothing is prompted', async () => {
    const j = job();
    const r = await check(j, { env: {}, interactive: true, login: false });
    expect(r.line('FAIL credentials')).toMatch(/-> run gsync login now \(gsync login --config .*\), then this check again$/);
    expect(r.code).toBe(77);
  });

  it('a wrong service-account secret: the FAIL line names the variables to fix, exit 77, even at a terminal nothing is prompted', async () => {
    const j = job();
    const r = await check(j, { env: { GLOBUS_CLIENT_ID: DEMO_SERVICE_CLIENT_ID, GLOBUS_CLIENT_SECRET: 'wrong' }, interactive: true });
    expect(r.line('FAIL credentials')).toBe(
      `FAIL credentials: Globus Auth rejected service account ${DEMO_SERVICE_CLIENT_ID} (401 unauthorized) -> fix GLOBUS_CLIENT_SECRET, or GLOBUS_CLIENT_ID if ${DEMO_SERVICE_CLIENT_ID} is not the service account's client id`,
    );
    expect(r.code).toBe(77);
  });

  it('a wrong secret in auth.clientSecretFile: the hint names that file, and auth.clientId as the id in use', async () => {
    const secretFile = path.join(tempDir('gsync-secret-'), 'secret');
    fs.writeFileSync(secretFile, 'wrong\n', { mode: 0o600 });
    const j = job((c) => (c.auth = { clientId: DEMO_SERVICE_CLIENT_ID, clientSecretFile: secretFile, tokenFile: c.auth.tokenFile }));
    const r = await check(j, { env: {} });
    expect(r.line('FAIL credentials')).toBe(
      `FAIL credentials: Globus Auth rejected service account ${DEMO_SERVICE_CLIENT_ID} (401 unauthorized) -> fix the secret in auth.clientSecretFile ${secretFile}, or GLOBUS_CLIENT_ID (unset, so auth.clientId in ${j.config} is used) if ${DEMO_SERVICE_CLIENT_ID} is not the service account's client id`,
    );
    expect(r.code).toBe(77);
  });

  it('a missing source directory and no login: not only auth failures, so exit 1', async () => {
    const j = job((c) => (c.source.path = '/nonexistent/gsync/source'));
    const r = await check(j, { env: {} });
    expect(r.code).toBe(1);
  });

  it('an unknown collection id fails with the id; the other collection is still checked', async () => {
    const j = job((c) => (c.destination.collection = UNKNOWN_ID));
    const r = await check(j);
    expect(r.line('FAIL destination collection')).toBe(`FAIL destination collection ${UNKNOWN_ID}: no such collection -> check destination.collection in ${j.config}`);
    expect(r.line('skip destination data access')).toBeDefined();
    expect(r.line('ok   source data access')).toBeDefined();
    expect(r.code).toBe(1);
  });

  it('a GCSv5 endpoint instead of a collection fails as non-functional', async () => {
    const id = 'c0ffee00-0000-4000-8000-00000000e0e0';
    w.srv.addCollection({ id, root: w.dst, kind: 'endpoint' });
    const j = job((c) => (c.destination.collection = id));
    const r = await check(j);
    expect(r.line('FAIL destination collection')).toMatch(/is a Globus Connect Server endpoint \(GCSv5_endpoint\), which cannot transfer -> set destination\.collection in .* to one of its mapped or guest collections$/);
    expect(r.code).toBe(1);
  });

  it('a destination inside the source on the same collection fails', async () => {
    const j = job((c) => (c.destination = { collection: SRC_ID, path: '/sub/dir' }));
    const r = await check(j);
    expect(r.line('FAIL destination collection')).toContain('overlaps the source path / on the same collection');
    expect(r.code).toBe(1);
  });

  it('ConsentRequired for a user login: the data access check fails with the scope and gsync login; exit 77', async () => {
    const j = job();
    userLogin(j, TRANSFER_SCOPE);
    w.srv.faults.requireConsent(SRC_ID);
    const r = await check(j, { env: {} });
    expect(r.line('ok   credentials')).toContain('user login');
    expect(r.line('FAIL source data access')).toMatch(
      new RegExp(`^FAIL source data access: Globus needs consent for collection ${SRC_ID}: scope \\S*${SRC_ID}/data_access\\S* -> run: gsync login --config ${j.config}$`),
    );
    expect(r.line('ok   destination data access')).toBeDefined();
    expect(r.lines.filter((l) => l.startsWith('FAIL'))).toHaveLength(1);
    expect(r.code).toBe(77);
  });

  it('ConsentRequired for a service account: it requests the scope itself and passes', async () => {
    const j = job();
    w.srv.faults.requireConsent(SRC_ID);
    const r = await check(j);
    expect(r.line('ok   source data access')).toBeDefined();
    expect(r.code).toBe(0);
  });

  it('a missing destination path fails with the --fix hint; --fix creates every missing component and passes', async () => {
    const j = job((c) => (c.destination.path = `${c.destination.path}/deeper/still`), { makeDest: false });
    const dest = JSON.parse(fs.readFileSync(j.config, 'utf8')).destination.path as string;
    const r = await check(j);
    expect(r.line('FAIL destination path')).toBe(
      `FAIL destination path ${dest}: does not exist on the destination collection -> run gsync test-config --fix --config ${j.config} to create it`,
    );
    expect(r.line('ok   destination data access')).toBeDefined();
    expect(r.code).toBe(1);
    expect(fs.existsSync(j.destDir)).toBe(false);

    const fixed = await check(j, { fix: true });
    const top = `/${path.basename(j.destDir)}`;
    expect(fixed.line('ok   destination path')).toBe(`ok   destination path ${dest} created (--fix: ${top}, ${top}/deeper, ${top}/deeper/still)`);
    expect(fixed.code).toBe(0);
    expect(fs.statSync(path.join(j.destDir, 'deeper', 'still')).isDirectory()).toBe(true);

    const again = await check(j);
    expect(again.line('ok   destination path')).toBe(`ok   destination path ${dest} exists`);
    expect(again.code).toBe(0);
  });

  it('a source collection path that is not there fails with the collectionPath hint', async () => {
    const j = job((c) => (c.source.collectionPath = '/no/such/place'));
    const r = await check(j);
    expect(r.line('FAIL source path')).toMatch(/^FAIL source path \/no\/such\/place: not found on the source collection -> set source\.collectionPath in /);
    expect(r.code).toBe(1);
  });
});

describe('gsync test-config with a revoked user login', () => {
  let own: World;
  beforeAll(async () => {
    own = await world();
  });
  afterAll(() => own.cleanup());

  it('invalid_grant on refresh: exit 77 without a prompt, the hint naming gsync login', async () => {
    const j = job();
    writeLogin(own.srv, j.tokenFile, { expiresIn: 3600 });
    own.srv.faults.revokeTokens();
    const r = await check(j, { env: {}, srv: own, interactive: false });
    expect(r.line('FAIL credentials')).toMatch(/^FAIL credentials: Globus rejected the stored refresh token \(invalid_grant: it expired or was revoked\) -> run: gsync login --config /);
    expect(r.text).not.toContain('login now');
    expect(r.code).toBe(77);
  });

  it('through the built CLI, stdin a pipe left open: exit 77 promptly, checklist on stdout, nothing asked', async () => {
    assertBuilt();
    const cli = CLI;
    const j = job();
    writeLogin(own.srv, j.tokenFile, { expiresIn: 3600 });
    own.srv.faults.revokeTokens();
    const child = spawn(process.execPath, [cli, 'test-config', '--config', j.config], {
      env: { PATH: process.env.PATH, HOME: j.home, ...own.srv.env },
      // A pipe that is never written or closed: a prompt would wait forever and the test would time out.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(77);
    expect(stdout).toMatch(/^FAIL credentials: Globus rejected the stored refresh token .* -> run: gsync login --config /m);
    expect(stdout).not.toContain('login now');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 of 6 checks failed (credentials), 2 skipped: not ready for cron');
    // Logs go to stderr; the checklist alone is on stdout, and no authorize URL was offered.
    expect(stdout).not.toContain('https://');
    expect(stderr).not.toContain('FAIL');
  }, 20_000);
});
