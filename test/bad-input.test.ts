import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/state/migrations.js';
import { openState } from '../src/state/open.js';
import { assertBuilt, gsync, type CliResult } from './helpers/cli.js';
import { seededRandom } from './helpers/reliability.js';
import { DST_ID, SRC_ID } from './server-support.js';
import { tempDir } from './helpers/temp.js';
import { sqliteDatabase } from '../src/state/sqlite-driver.js';

/** better-sqlite3 as gsync loads it on this Node (13, or 12 on Node 20). */
const Database = sqliteDatabase();

/**
 * Bad configs, bad flags and bad state databases, through the built CLI:
 * exactly one line on stderr naming what is wrong, and the documented exit
 * code (2 for usage and config). A state file gsync did not write is never
 * changed.
 */
let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = tempDir('gsync-bad-input-');
  fs.mkdirSync(path.join(dir, 'src'));
});

const base = () => ({
  name: 'bad-input',
  source: { collection: SRC_ID, path: path.join(dir, 'src') },
  destination: { collection: DST_ID, path: '/backup' },
  auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001', tokenFile: path.join(dir, 'tokens.json') },
  state: { path: path.join(dir, 'state.db') },
  scan: { minAgeSeconds: 0 },
});
type Cfg = Record<string, any>;

/** No Globus URLs and no credentials in the environment: nothing may get that far anyway. */
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, GLOBUS_SDK_SERVICE_URL_AUTH: 'http://127.0.0.1:9/', GLOBUS_SDK_SERVICE_URL_TRANSFER: 'http://127.0.0.1:9/' };
  return e;
};

let n = 0;
function writeConfig(cfg: Cfg | string): string {
  const file = path.join(dir, `config-${n++}.json`);
  fs.writeFileSync(file, typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
  return file;
}

const lines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.trim() !== '');

function expectOneLine(r: CliResult, code: number, ...needles: Array<string | RegExp>) {
  expectLine(r, code, false, ...needles);
}

function expectLine(r: CliResult, code: number, usageHint: boolean, ...needles: Array<string | RegExp>) {
  const l = lines(r);
  // Commander's own errors end with a pointer to --help, on the same line.
  if (usageHint && /^gsync: error:/.test(l[0] ?? '')) expect(l[0]).toContain('(run gsync --help for usage)');
  expect(l, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toHaveLength(1);
  for (const needle of needles) {
    if (typeof needle === 'string') expect(l[0]).toContain(needle);
    else expect(l[0]).toMatch(needle);
  }
  expect(r.code, r.stderr).toBe(code);
}

/** [description, edit of the valid config, the key the message must name] */
const CONFIG_CASES: Array<[string, (c: Cfg) => void, string]> = [
  ['name of the wrong type', (c) => (c.name = 42), 'name'],
  ['name with a slash', (c) => (c.name = 'a/b'), 'name'],
  ['missing name', (c) => delete c.name, 'name'],
  ['source as a string', (c) => (c.source = '/data'), 'source'],
  ['source.path relative', (c) => (c.source.path = 'data/here'), 'source.path'],
  ['source.path empty', (c) => (c.source.path = ''), 'source.path'],
  ['source.collectionPath relative', (c) => (c.source.collectionPath = 'x'), 'source.collectionPath'],
  ['source.collection not a uuid', (c) => (c.source.collection = 'not-a-uuid'), 'source.collection'],
  ['destination.collection uuid too short', (c) => (c.destination.collection = DST_ID.slice(1)), 'destination.collection'],
  ['destination.path relative', (c) => (c.destination.path = 'backup'), 'destination.path'],
  ['missing destination', (c) => delete c.destination, 'destination'],
  ['auth.clientId a number', (c) => (c.auth.clientId = 123), 'auth.clientId: expected a string, got the number 123'],
  ['auth.tokenFile relative', (c) => (c.auth.tokenFile = 'tokens.json'), 'auth.tokenFile'],
  ['auth.clientSecretFile relative', (c) => (c.auth.clientSecretFile = './secret'), 'auth.clientSecretFile'],
  ['unknown top-level key', (c) => (c.extra = 1), 'extra'],
  ['misspelt nested key', (c) => (c.source.colection = SRC_ID), 'source.colection'],
  ['unknown transfer key', (c) => (c.transfer = { syncLvl: 'mtime' }), 'transfer.syncLvl'],
  ['transfer.syncLevel not one of the enum', (c) => (c.transfer = { syncLevel: 'fast' }), 'transfer.syncLevel'],
  ['transfer.verifyChecksum a string', (c) => (c.transfer = { verifyChecksum: 'yes' }), 'transfer.verifyChecksum: expected true or false, got the string "yes"'],
  ['transfer.label over 128 characters', (c) => (c.transfer = { label: 'x'.repeat(129) }), 'transfer.label'],
  ['transfer.label blank once trimmed', (c) => (c.transfer = { label: ' \t \n ' }), 'transfer.label'],
  ['transfer.label empty', (c) => (c.transfer = { label: '' }), 'transfer.label'],
  ['transfer.maxOpenTasks zero', (c) => (c.transfer = { maxOpenTasks: 0 }), 'transfer.maxOpenTasks'],
  ['transfer.deadlineSeconds negative', (c) => (c.transfer = { deadlineSeconds: -5 }), 'transfer.deadlineSeconds'],
  ['transfer.deadlineSeconds fractional', (c) => (c.transfer = { deadlineSeconds: 1.5 }), 'transfer.deadlineSeconds'],
  ['scan.minAgeSeconds negative', (c) => (c.scan = { minAgeSeconds: -1 }), 'scan.minAgeSeconds'],
  // Issue 31.1: a wrong type says what was given and what is wanted, never "is required".
  ['scan.minAgeSeconds a string', (c) => (c.scan = { minAgeSeconds: '60' }), 'scan.minAgeSeconds: expected a number, got the string "60"'],
  ['scan.exclude a string', (c) => (c.scan = { exclude: '*.tmp' }), 'scan.exclude: expected a list ([...]), got the string "*.tmp"'],
  ['scan.threads fractional', (c) => (c.scan = { threads: 1.5 }), 'scan.threads: expected a whole number, got the number 1.5'],
  ['deletes.enabled a string', (c) => (c.deletes = { enabled: 'yes' }), 'deletes.enabled: expected true or false, got the string "yes"'],
  ['hooks.onSucceeded a string', (c) => (c.hooks = { onSucceeded: '/usr/local/bin/notify' }), 'hooks.onSucceeded: expected a list ([...]), got the string "/usr/local/bin/notify"'],
  ['log.level a number', (c) => (c.log = { level: 3 }), 'log.level: Invalid option: expected one of'],
  ['scan.exclude with an empty pattern', (c) => (c.scan = { exclude: ['*.tmp', ''] }), 'scan.exclude.1'],
  ['state.path relative', (c) => (c.state = { path: 'state.db' }), 'state.path'],
  ['log.level not one of the enum', (c) => (c.log = { level: 'loud' }), 'log.level'],
  ['metrics.textfile relative', (c) => (c.metrics = { textfile: 'gsync.prom' }), 'metrics.textfile'],
  ['watch.rescanIntervalSeconds zero', (c) => (c.watch = { rescanIntervalSeconds: 0 }), 'watch.rescanIntervalSeconds'],
  ['watch.rescanIntervalSeconds negative', (c) => (c.watch = { rescanIntervalSeconds: -3600 }), 'watch.rescanIntervalSeconds'],
  ['config that is an array', (c) => Object.keys(c).forEach((k) => delete c[k]), '(top level)'],
];

describe('bad config: one line naming the key, exit 2', () => {
  it.concurrent.each(CONFIG_CASES)('%s', async (_what, edit, key) => {
    const cfg = base() as Cfg;
    edit(cfg);
    const file = writeConfig(Object.keys(cfg).length === 0 ? '[]' : cfg);
    const r = await gsync(['run', '--config', file], { env: env() });
    expectOneLine(r, 2, `gsync: ${file}: `, key);
    expect(fs.existsSync(path.join(dir, 'state.db'))).toBe(false);
  });

  it.concurrent.each([
    ['not JSON', '{"name": "x",', /is not valid JSON/],
    ['empty file', '', /is not valid JSON/],
  ])('a config file that is %s', async (_what, text, msg) => {
    const file = writeConfig(text);
    expectOneLine(await gsync(['run', '--config', file], { env: env() }), 2, file, msg);
  });

  it('a config file that does not exist', async () => {
    const file = path.join(dir, 'nope.json');
    expectOneLine(await gsync(['run', '--config', file], { env: env() }), 2, `config file ${file} does not exist`);
  });
});

describe('bad flags: one line naming the flag, exit 2', () => {
  const FLAG_CASES: Array<[string, string[], Array<string | RegExp>]> = [
    ['unknown flag', ['run', '--bogus'], ['--bogus']],
    ['unknown command', ['runn'], ['runn']],
    ['--timeout -1', ['run', '--wait', '--timeout', '-1'], ['--timeout']],
    ['--timeout abc', ['run', '--wait', '--timeout', 'abc'], ['--timeout']],
    ['--timeout 1.5', ['run', '--wait', '--timeout', '1.5'], ['--timeout']],
    ['--timeout without a value', ['run', '--wait', '--timeout'], ['--timeout']],
    ['--log-level not a choice', ['--log-level', 'loud', 'run'], ['--log-level']],
    ['set-time --time and --now', ['set-time', '--time', '2024-01-01T00:00:00Z', '--now'], ['--time', '--now']],
    ['set-time --now and --never', ['set-time', '--now', '--never'], ['--now', '--never']],
    ['set-time --time and --never', ['set-time', '--time', '2024-01-01T00:00:00Z', '--never'], ['--time', '--never']],
    ['set-time --time not a time', ['set-time', '--time', 'yesterday-ish'], ['--time']],
  ];
  it.concurrent.each(FLAG_CASES)('%s', async (_what, args, needles) => {
    const file = writeConfig(base());
    const r = await gsync([...args, '--config', file], { env: env() });
    expectLine(r, 2, true, ...needles);
    expect(r.stdout).toBe('');
  });
});

describe('a state database gsync did not write: a clear line, and the file is never changed', () => {
  const runWith = async (state: string) => {
    const cfg = base() as Cfg;
    cfg.state = { path: state };
    return gsync(['run', '--config', writeConfig(cfg)], { env: env() });
  };
  const digest = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

  it('random bytes', async () => {
    const file = path.join(dir, 'random.db');
    const rng = seededRandom(3);
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(rng() * 256))));
    const before = digest(file);
    const mtime = fs.statSync(file).mtimeMs;
    const r = await runWith(file);
    expectOneLine(r, 2, `state.path ${file}: is not an SQLite database; gsync will not touch it`);
    expect(digest(file)).toBe(before);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}-journal`)).toBe(false);
  });

  it("another application's SQLite database", async () => {
    const file = path.join(dir, 'foreign.db');
    const db = new Database(file);
    db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices (amount) VALUES (12.5), (99);");
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('application', 'ledger');");
    db.close();
    const before = digest(file);
    const r = await runWith(file);
    expectOneLine(r, 2, `state.path ${file}: is an SQLite database that gsync did not create; gsync will not touch it`);
    expect(digest(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('a gsync state database with damaged pages: one line, and the file is left as it was', async () => {
    const file = path.join(dir, 'damaged.db');
    const state = openState(file);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
    state.close();
    const rng = seededRandom(5);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from(Array.from({ length: 8192 }, () => Math.floor(rng() * 256))), 0, 8192, 4096); // pages 2 and 3
    fs.closeSync(fd);
    const before = digest(file);
    const r = await runWith(file);
    expectOneLine(r, 1, `state database ${file} is damaged`, /malformed|not a database/, 'move it aside');
    expect(digest(file)).toBe(before);
  });

  it('a state database from a newer gsync (after a downgrade): one line naming both versions, exit 2, the file unchanged', async () => {
    const file = path.join(dir, 'newer.db');
    const state = openState(file);
    state.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    state.db.prepare(`INSERT INTO meta (key, value) VALUES (?, '9.4.0')`).run(`schema_${SCHEMA_VERSION + 1}_written_by`);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
    state.close();
    const before = digest(file);
    const cfg = base() as Cfg;
    cfg.state = { path: file };
    const config = writeConfig(cfg);
    for (const command of ['run', 'status']) {
      const r = await gsync([command, '--config', config], { env: env() });
      expectOneLine(r, 2, `state database ${file} has schema ${SCHEMA_VERSION + 1}, written by gsync 9.4.0; this is gsync `, 'install gsync 9.4.0 or newer again');
    }
    expect(digest(file)).toBe(before);
  });

  it('a directory where the database should be', async () => {
    const file = path.join(dir, 'a-directory.db');
    fs.mkdirSync(file);
    const r = await runWith(file);
    expectOneLine(r, 2, `state.path ${file}`);
    expect(fs.readdirSync(file)).toEqual([]);
  });
});
