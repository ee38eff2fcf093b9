import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { unprivileged } from './unprivileged.js';

/**
 * The built CLI as the package ships it (`npm run build`: tsc, then the esbuild
 * bundle of scripts/bundle.ts); tests spawn it as cron or systemd would.
 */
export const CLI = path.resolve(__dirname, '../../dist/bin/gsync.js');

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`build first: npm run build (${CLI} is missing)`);
}

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed; stdin is always a pipe (never a TTY). */
  stdin?: string;
  /** SIGKILL the child this many ms after it was spawned (if it is still running). */
  killAfterMs?: number;
  /** Send `signal` to the child once its stderr so far matches `stderr` (once). */
  signalOn?: { stderr: RegExp; signal: NodeJS.Signals };
  /** Called once the child is spawned. */
  onSpawn?(pid: number): void;
  /** Run without root's privileges when the suite runs as root (test/helpers/unprivileged.ts). */
  unprivileged?: boolean;
  /** Run under this umask, as a shell or cron would set it (e.g. 0o022). */
  umask?: number;
}

/** Runs `node dist/bin/gsync.js ...args` and collects its output. Never rejects for a non-zero exit. */
export function gsync(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let [cmd, argv] = opts.unprivileged ? unprivileged(process.execPath, [CLI, ...args]) : [process.execPath, [CLI, ...args]];
    if (opts.umask !== undefined) [cmd, argv] = ['/bin/sh', ['-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$@"`, 'sh', cmd, ...argv]];
    const child = spawn(cmd, argv, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    let signalled = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (opts.signalOn && !signalled && opts.signalOn.stderr.test(stderr)) {
        signalled = true;
        child.kill(opts.signalOn.signal);
      }
    });
    child.stdin.on('error', () => {}); // the child may exit before reading stdin
    child.stdin.end(opts.stdin ?? '');
    let timer: NodeJS.Timeout | undefined;
    if (opts.killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
  });
}

/** Non-empty stderr lines that are not pino JSON log records. */
export function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}
