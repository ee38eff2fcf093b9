import { spawn } from 'node:child_process';
import readline from 'node:readline';
import type { Logger } from '../log/logger.js';

export interface HookProcess {
  /** argv[0] is the program, found on PATH as execvp would; no shell. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Gets one line per line the hook prints (stdout and stderr), never gsync's stdout. */
  logger: Logger;
}

export type HookOutcome =
  | { ok: true; result: 'exit 0' }
  | { ok: false; result: string; exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderrTail: string[] };

/** After the timeout: SIGTERM to the group, then SIGKILL for whatever still runs this much later. */
export const KILL_GRACE_MS = 5000;
/** Lines logged per stream and attempt; a chatty hook must not fill the journal. */
export const MAX_LOGGED_LINES = 200;
const MAX_LINE_CHARS = 4000;

/**
 * Runs one hook command to its end and reports how it ended; never throws.
 * The hook gets its own process group (detached), so a timeout can kill it
 * and everything it started, and a Ctrl-C meant for gsync does not reach it.
 */
export function runHookProcess(p: HookProcess): Promise<HookOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (o: HookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const child = spawn(p.argv[0]!, p.argv.slice(1), { env: p.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      p.logger.error({ timeoutSeconds: p.timeoutMs / 1000 }, `hook still running after ${p.timeoutMs / 1000} s: killing its process group`);
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    }, p.timeoutMs);

    const streams = [logLines(child.stdout, 'stdout', p.logger), logLines(child.stderr, 'stderr', p.logger)];
    child.on('error', (err) => {
      for (const s of streams) s.close();
      finish({ ok: false, result: `cannot start ${p.argv[0]}: ${err.message}`, exitCode: null, signal: null, timedOut: false, stderrTail: [] });
    });
    child.on('exit', (code, signal) => {
      if (timedOut) {
        // Whatever the hook started is killed too; the next run starts it afresh.
        clearTimeout(killTimer);
        killGroup('SIGKILL');
      }
      // A background process the hook left may hold its pipes open: stop reading after a moment.
      const drained = Promise.all(streams.map((s) => s.done));
      const late = setTimeout(() => streams.forEach((s) => s.close()), 1000);
      void drained.then(() => {
        clearTimeout(late);
        const stderrTail = streams[1]!.tail;
        if (timedOut) finish({ ok: false, result: `timed out after ${p.timeoutMs / 1000} s (process group killed)`, exitCode: code, signal, timedOut: true, stderrTail });
        else if (code === 0) finish({ ok: true, result: 'exit 0' });
        else finish({ ok: false, result: code === null ? `killed by ${signal}` : `exit ${code}`, exitCode: code, signal, timedOut: false, stderrTail });
      });
    });
  });
}

/** Lines of stderr kept for the failure's log line: a failing hook usually says why at the end. */
const TAIL_LINES = 5;

function logLines(
  stream: NodeJS.ReadableStream & { destroy(): void },
  name: 'stdout' | 'stderr',
  logger: Logger,
): { done: Promise<void>; close(): void; tail: string[] } {
  const rl = readline.createInterface({ input: stream, terminal: false, crlfDelay: Infinity });
  const tail: string[] = [];
  let lines = 0;
  rl.on('line', (line) => {
    lines++;
    tail.push(line.slice(0, MAX_LINE_CHARS));
    if (tail.length > TAIL_LINES) tail.shift();
    if (lines <= MAX_LOGGED_LINES) logger.info({ stream: name }, line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}...` : line);
  });
  const done = new Promise<void>((resolve) =>
    rl.on('close', () => {
      if (lines > MAX_LOGGED_LINES) logger.info({ stream: name, lines }, `hook printed ${lines} lines on ${name}; the first ${MAX_LOGGED_LINES} are logged`);
      resolve();
    }),
  );
  return {
    done,
    tail,
    close: () => {
      rl.close();
      stream.destroy();
    },
  };
}
