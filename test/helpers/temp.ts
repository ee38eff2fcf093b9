import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/*
 * The one way tests make temporary folders: each is removed by the time the
 * test that made it has finished, passed or failed, because its removal is
 * registered the moment it is made. A folder made outside a test (beforeAll, a
 * describe body, a helper at import) goes when the test file's tests are done.
 * Not inside an it.concurrent body (vitest cannot tell which of the concurrent
 * tests is running): make the folder in beforeAll there.
 * Check with `TMPDIR=$(mktemp -d) npx vitest run test/x.test.ts`: the folder
 * must be empty afterwards.
 */

/** Folders made outside a running test, removed after the file's last test. */
const madeOutsideTests = new Set<string>();

// At import, which is during the collection of the test file that uses this helper.
afterAll(() => {
  for (const dir of madeOutsideTests) remove(dir);
  madeOutsideTests.clear();
});

function remove(dir: string): void {
  // A test may leave a read-only folder behind (permission tests): make it writable first.
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    makeWritable(dir);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function makeWritable(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) makeWritable(path.join(dir, entry.name));
  }
}

/** A new empty folder under os.tmpdir() (so under TMPDIR), named `<prefix>XXXXXX`, removed when the current test ends. */
export function tempDir(prefix = 'gsync-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    onTestFinished(() => remove(dir));
  } catch {
    // Not inside a test: the file's afterAll above removes it.
    madeOutsideTests.add(dir);
  }
  return dir;
}
