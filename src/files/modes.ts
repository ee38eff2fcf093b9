import fs from 'node:fs';

/**
 * The modes gsync gives the files and folders it creates (README, "Files gsync
 * writes"). The state database, manifests and logs name every path of the source
 * tree, and file names can themselves be sensitive (subject identifiers), so they
 * are for their owner only. Each is passed to open()/mkdir() at creation: the umask
 * can only take bits away, so the result is exactly this under any usual umask, and
 * the file is never readable by others, not even for the instant a chmod would take.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
/** The metrics textfile: node_exporter runs as another user and must read it. */
export const SHARED_FILE_MODE = 0o644;
export const SHARED_DIR_MODE = 0o755;

/** Creates `dir` and any missing parents 0700; an existing folder keeps its mode. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Makes sure `file` exists, creating it empty with mode 0600 when missing and
 * leaving an existing file (content and mode) as it is. For files another
 * library opens afterwards with its own default mode (SQLite's is 0644): SQLite
 * then creates its -wal, -shm and -journal files with the database's mode.
 */
export function createPrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_APPEND, PRIVATE_FILE_MODE));
}

/** Group or other permission bits of an existing file; null when it is private or missing. */
export function widerThanPrivate(file: string): number | null {
  let mode: number;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    return null;
  }
  return (mode & 0o077) === 0 ? null : mode;
}
