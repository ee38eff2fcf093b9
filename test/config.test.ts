import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { GsyncError } from '../src/errors/errors.js';
import { exitCodeFor } from '../src/errors/exit-codes.js';
import { tempDir } from './helpers/temp.js';

const minimal = () => ({
  name: 'job',
  source: { collection: '1405823f-0597-4a16-b296-46d4f0ae4b15', path: '/data/src' },
  destination: { collection: '0e4a77f8-b778-4d5c-abaa-e1254e71427f', path: '/archive' },
  auth: { clientId: '61338d24-54d5-408f-a10d-66c06b59f6d2' },
});

describe('config', () => {
  it('fills defaults and derives paths from the job name', () => {
    const r = parseConfig(minimal(), '/etc/gsync/job.json', { HOME: '/home/u' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.transfer.syncLevel).toBe('mtime');
    expect(r.config.transfer.verifyChecksum).toBe(true);
    expect(r.config.transfer.notifyOnSucceeded).toBe(false);
    expect(r.config.transfer.maxOpenTasks).toBe(2);
    // No deadline unless asked for: Globus extends the deadline of a task submitted without one (task_behavior).
    expect(r.config.transfer.deadlineSeconds).toBeUndefined();
    expect(r.config.scan.minAgeSeconds).toBe(60);
    expect(r.config.source.collectionPath).toBe('/data/src');
    expect(r.config.state.path).toBe('/home/u/.local/state/gsync/job.db');
    expect(r.config.auth.tokenFile).toBe('/home/u/.config/gsync/job.tokens.json');
  });

  it('honours XDG_STATE_HOME and XDG_CONFIG_HOME', () => {
    const r = parseConfig(minimal(), 'x', { HOME: '/home/u', XDG_STATE_HOME: '/s', XDG_CONFIG_HOME: '/c' });
    expect(r.ok && r.config.state.path).toBe('/s/gsync/job.db');
    expect(r.ok && r.config.auth.tokenFile).toBe('/c/gsync/job.tokens.json');
  });

  it('names an unknown key, including nested ones', () => {
    const raw = { ...minimal(), transfer: { synclevel: 'mtime' } };
    const r = parseConfig(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(['unknown key transfer.synclevel: remove it or check its spelling in config.example.json']);
  });

  it('scan.threads: unset means one per core (left to the commands), 0 is refused naming the key', () => {
    const r = parseConfig(minimal());
    expect(r.ok && r.config.scan.threads).toBeUndefined();
    const bad = parseConfig({ ...minimal(), scan: { threads: 0 } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.join('\n')).toMatch(/scan\.threads.*1 or more/);
  });

  it('gives one line per bad value, naming the key', () => {
    const raw = { ...minimal(), source: { collection: 'nope', path: 'relative/dir' }, transfer: { syncLevel: 'fast' } };
    const r = parseConfig(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(3);
    expect(r.errors.some((e) => e.startsWith('source.collection: must be a UUID'))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('source.path: must be an absolute path'))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('transfer.syncLevel:'))).toBe(true);
    for (const e of r.errors) expect(e).not.toContain('\n');
  });

  it('reports a missing required key as required', () => {
    const { auth: _auth, ...raw } = minimal();
    const r = parseConfig(raw);
    expect(r.ok ? [] : r.errors).toEqual(['auth: is required']);
  });

  it('accepts config.example.json as it is committed', () => {
    const raw = JSON.parse(fs.readFileSync(new URL('../config.example.json', import.meta.url), 'utf8'));
    // A deadline switches off Globus's automatic extension (task_behavior, Deadlines): the example sets none.
    expect(raw.transfer.deadlineSeconds).toBeUndefined();
    const r = parseConfig(raw);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('loads from --config, then $GSYNC_CONFIG, and fails with a config error (exit 2)', () => {
    const dir = tempDir('gsync-config-');
    const file = path.join(dir, 'job.json');
    fs.writeFileSync(file, JSON.stringify(minimal()));
    expect(loadConfig(undefined, { GSYNC_CONFIG: file, HOME: dir }).name).toBe('job');
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    let caught: unknown;
    try {
      loadConfig(path.join(dir, 'bad.json'), { HOME: dir });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GsyncError);
    expect((caught as GsyncError).message).toMatch(/is not valid JSON/);
    expect(exitCodeFor(caught)).toBe(2);
    expect(() => loadConfig(path.join(dir, 'missing.json'), { HOME: dir })).toThrow(/does not exist/);
  });
});
