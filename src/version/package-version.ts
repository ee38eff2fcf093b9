import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The version in gsync's own package.json, read at run time so a release only
 * has to bump package.json. The file sits two levels above src/ when the tests
 * run the sources and three above dist/src/ when installed, so walk up to it.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const version = versionIn(path.join(dir, 'package.json'));
    if (version !== undefined) return (cached = version);
    const parent = path.dirname(dir);
    // Only reachable from a broken install; "unknown" still lets --version and bug reports work.
    if (parent === dir) return (cached = 'unknown');
    dir = parent;
  }
}

/** The version of the package.json at `file` if it is gsync's, else undefined. */
function versionIn(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    return pkg.name === 'gsync' && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
