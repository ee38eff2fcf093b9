import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeConfigFile } from '../src/init/write-config.js';

/** init's write: never clobbers without force (even a file that appeared after the first check), atomic with it. */
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gsync-init-write-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('writeConfigFile', () => {
  it('a new file: written whole, mode 0644, no temporary file left', () => {
    const f = path.join(dir, 'job.json');
    writeConfigFile(f, '{"a":1}\n', false);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"a":1}\n');
    expect(fs.statSync(f).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(fs.readdirSync(dir)).toEqual(['job.json']);
  });

  it('an existing file without force: refused (usage), left as it was, no temporary file left', () => {
    const f = path.join(dir, 'job.json');
    fs.writeFileSync(f, 'theirs');
    expect(() => writeConfigFile(f, 'ours', false)).toThrow(/already exists; gsync init never overwrites a config/);
    expect(fs.readFileSync(f, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(dir)).toEqual(['job.json']);
  });

  it('with force: replaced by a rename (a new inode: a reader never sees half a file)', () => {
    const f = path.join(dir, 'job.json');
    fs.writeFileSync(f, 'theirs');
    const before = fs.statSync(f).ino;
    writeConfigFile(f, 'ours', true);
    expect(fs.readFileSync(f, 'utf8')).toBe('ours');
    expect(fs.statSync(f).ino).not.toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['job.json']);
  });
});
