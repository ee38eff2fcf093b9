import crypto from 'node:crypto';
import nodeFs from 'node:fs';
import path from 'node:path';
import { failure } from '../errors/errors.js';
import { acquireFileLock, type FileLockOptions } from './file-lock.js';
import { syncDir } from '../files/sync-dir.js';

/** One resource server's tokens as kept on disk. */
export interface StoredToken {
  access_token: string;
  /** Unix seconds. */
  expires_at: number;
  refresh_token?: string;
  scope: string;
}

export interface TokenFile {
  version: 1;
  /** The client the tokens were issued to: a refresh with another client id fails. */
  client_id?: string;
  /** Keyed by resource server, e.g. "transfer.api.globus.org". */
  tokens: Record<string, StoredToken>;
}

/** The few fs calls the store makes, injectable so a test can check every open's flags and mode. */
export type StoreFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync' | 'mkdirSync' | 'readFileSync' | 'statSync'
>;

export interface TokenStoreOptions {
  fs?: StoreFs;
  lock?: FileLockOptions;
}

/**
 * The token file: mode 0600 from the moment it exists (created with that
 * mode, never chmod-ed after), replaced atomically (temp file in the same
 * directory, fsync, rename) so a reader always sees a whole file, and written
 * under an exclusive lock after re-reading, so concurrent runs that refresh
 * at once do not lose each other's rotated refresh tokens.
 * Nothing here logs or puts a token value in an error message.
 */
export class TokenStore {
  readonly file: string;
  private readonly fs: StoreFs;
  private readonly lockOptions: FileLockOptions;

  constructor(file: string, opts: TokenStoreOptions = {}) {
    this.file = file;
    this.fs = opts.fs ?? nodeFs;
    this.lockOptions = opts.lock ?? {};
  }

  get lockPath(): string {
    return `${this.file}.lock`;
  }

  /** The current file, or undefined when there is none. */
  read(): TokenFile | undefined {
    let text: string;
    try {
      text = this.fs.readFileSync(this.file, 'utf8') as string;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw failure(`token file ${this.file} cannot be read (${(err as NodeJS.ErrnoException).code})`);
    }
    return parseTokenFile(text, this.file);
  }

  /** True when group or others can read the file (it was created by something else, or chmod-ed). */
  isExposed(): boolean {
    try {
      return (this.fs.statSync(this.file).mode & 0o077) !== 0;
    } catch {
      return false;
    }
  }

  /**
   * Run `fn` on a fresh read while holding the lock; write what it returns as
   * `next` (undefined leaves the file alone, null deletes it).
   */
  async update<T>(fn: (current: TokenFile | undefined) => Promise<{ next?: TokenFile | null; result: T }>): Promise<T> {
    this.ensureDir();
    const lock = await acquireFileLock(this.lockPath, this.lockOptions);
    try {
      const { next, result } = await fn(this.read());
      if (next === null) this.fs.rmSync(this.file, { force: true });
      else if (next !== undefined) this.writeAtomically(next);
      return result;
    } finally {
      lock.release();
    }
  }

  private ensureDir(): void {
    // mode only applies to directories this call creates; an existing one is the user's choice.
    this.fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
  }

  private writeAtomically(data: TokenFile): void {
    const dir = path.dirname(this.file);
    const tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    const fd = this.fs.openSync(tmp, 'wx', 0o600);
    try {
      try {
        this.fs.writeSync(fd, JSON.stringify(data, null, 2) + '\n');
        this.fs.fsyncSync(fd);
      } finally {
        this.fs.closeSync(fd);
      }
      this.fs.renameSync(tmp, this.file);
    } catch (err) {
      this.fs.rmSync(tmp, { force: true });
      throw failure(`cannot write token file ${this.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
    }
    syncDir(dir, this.fs);
  }
}

/** Parse and check a token file's shape; the error names the file, never its contents. */
export function parseTokenFile(text: string, file: string): TokenFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw failure(`token file ${file} is not valid JSON: run gsync logout and gsync login again`);
  }
  const f = raw as Partial<TokenFile>;
  const ok =
    typeof f === 'object' &&
    f !== null &&
    f.version === 1 &&
    typeof f.tokens === 'object' &&
    f.tokens !== null &&
    Object.values(f.tokens).every(
      (t) =>
        typeof t?.access_token === 'string' &&
        typeof t.expires_at === 'number' &&
        typeof t.scope === 'string' &&
        (t.refresh_token === undefined || typeof t.refresh_token === 'string'),
    );
  if (!ok) throw failure(`token file ${file} is not a gsync token file (version 1): run gsync logout and gsync login again`);
  return f as TokenFile;
}
