import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp.js';

// The tests run in order (a file's tests are sequential): each checks what the one before left.
describe('tempDir: every temporary folder is gone when the test that made it ends', () => {
  let inBeforeAll = '';
  let passed = '';
  let failed = '';
  beforeAll(() => {
    inBeforeAll = tempDir('gsync-temp-helper-all-');
  });
  afterAll(() => {
    // Still there for the whole file; the helper's own afterAll removes it after this one.
    expect(fs.existsSync(inBeforeAll)).toBe(true);
  });

  it('is a new empty folder under os.tmpdir() with the prefix asked for', () => {
    passed = tempDir('gsync-temp-helper-');
    expect(path.dirname(passed)).toBe(os.tmpdir());
    expect(path.basename(passed)).toMatch(/^gsync-temp-helper-/);
    expect(fs.readdirSync(passed)).toEqual([]);
    fs.mkdirSync(path.join(passed, 'deep', 'er'), { recursive: true });
    fs.writeFileSync(path.join(passed, 'deep', 'er', 'f'), 'x');
  });

  it('is removed, contents and all, after a test that passed', () => {
    expect(passed).not.toBe('');
    expect(fs.existsSync(passed)).toBe(false);
  });

  it.fails('a test that fails after making one (expected to fail)', () => {
    failed = tempDir('gsync-temp-helper-');
    fs.writeFileSync(path.join(failed, 'f'), 'x');
    expect('the test').toBe('failing');
  });

  it('is removed after a test that failed too', () => {
    expect(failed).not.toBe('');
    expect(fs.existsSync(failed)).toBe(false);
  });

  it('one made in beforeAll lasts the whole file', () => {
    expect(fs.existsSync(inBeforeAll)).toBe(true);
  });
});
