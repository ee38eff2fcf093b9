import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../files/modes.js';
import type pinoModule from 'pino';
import type { Level, Logger, StreamEntry } from 'pino';

export type { Logger };

type Pino = typeof pinoModule;
let pinoLoaded: Pino | undefined;
/** pino is loaded on first use: it is a fifth of start-up, and `gsync plan` that finds nothing odd never logs. */
function pinoLib(): Pino {
  return (pinoLoaded ??= createRequire(import.meta.url)('pino') as Pino);
}

const PINO_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export interface LoggerOptions {
  /** Only warnings and errors: what cron should mail. */
  quiet?: boolean;
  level?: string;
  /** Append JSON lines here as well as to the terminal/stderr. */
  file?: string;
  /** Force JSON lines even at a terminal. */
  json?: boolean;
  /** Where terminal/stream output goes; stderr, so stdout stays for command results (plan --json). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * pino JSON lines everywhere except a person's terminal, which gets short
 * readable lines. Secrets never reach a logger: callers log token expiry, not tokens,
 * and the redact list is a second fence.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // Made on first use unless making it could fail (a log file to open, a level pino
  // would refuse): then now, so the command fails before it starts, as it always did.
  const eager = opts.file !== undefined || !PINO_LEVELS.has(consoleLevel(opts));
  return eager ? makeLogger(opts) : lazyLogger(() => makeLogger(opts));
}

function makeLogger(opts: LoggerOptions): Logger {
  const pino = pinoLib();
  const stream = opts.stream ?? process.stderr;
  const level = consoleLevel(opts);
  const terminal = stream.isTTY === true;
  // Cron mails stderr: with --quiet and no terminal, plain one-line messages a person reads
  // in a mail, not JSON. The log file (log.file) keeps JSON lines; --log-json forces JSON.
  const format = opts.json ? undefined : terminal ? formatReadable : opts.quiet ? formatPlain : undefined;
  const streams: StreamEntry[] = [{ level: level as Level, stream: format ? readableStream(stream, format) : stream }];
  if (opts.file) {
    // Log lines name source paths: the file and any folder made for it are the owner's only.
    makePrivateDir(path.dirname(opts.file));
    const dest = pino.destination({ dest: opts.file, sync: true, mode: PRIVATE_FILE_MODE });
    streams.push({ level: (opts.level ?? 'info') as Level, stream: dest });
  }
  return pino(
    {
      level: minLevel(level, opts.file ? (opts.level ?? 'info') : level),
      base: { pid: process.pid },
      redact: { paths: ['access_token', 'refresh_token', '*.access_token', '*.refresh_token', 'authorization', '*.authorization', 'client_secret'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
}

/** --quiet keeps warnings and errors on the console; a log file still gets the configured level. */
function consoleLevel(opts: LoggerOptions): string {
  return opts.quiet ? 'warn' : (opts.level ?? 'info');
}

/** A logger that drops everything; the default for library code and tests. */
export const silentLogger: Logger = lazyLogger(() => pinoLib()({ level: 'silent' }));

/**
 * Stands in for the logger make() returns, and makes it on first use; child()
 * before then gives another stand-in. Methods come bound to the real logger.
 */
function lazyLogger(make: () => Logger): Logger {
  let real: Logger | undefined;
  const target = () => (real ??= make());
  return new Proxy({} as Logger, {
    get(_t, prop) {
      if (prop === 'child' && real === undefined) {
        return (...args: Parameters<Logger['child']>) => lazyLogger(() => target().child(...args) as unknown as Logger);
      }
      const r = target();
      const value: unknown = Reflect.get(r, prop, r);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(r) : value;
    },
    set: (_t, prop, value) => Reflect.set(target(), prop, value),
    has: (_t, prop) => Reflect.has(target(), prop),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function readableStream(out: NodeJS.WritableStream, format: (line: string) => string): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) out.write(format(line) + '\n');
      }
      done();
    },
  });
}

export function formatReadable(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(Number(rec.time)).toTimeString().slice(0, 8);
  const level = LEVEL_NAMES[Number(rec.level)] ?? String(rec.level);
  const extras = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
    .join(' ');
  const prefix = level === 'info' ? time : `${time} ${level}`;
  return `${prefix} ${String(rec.msg ?? '')}${extras ? '  ' + extras : ''}`;
}

/** For cron mail: `gsync: warning: skipped: ...  path="/data/x"`, no time (cron dates the mail), no pid. */
export function formatPlain(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = Number(rec.level) >= 50 ? 'error' : Number(rec.level) >= 40 ? 'warning' : 'note';
  const extras = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k) && k !== 'job')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  return `gsync: ${level}: ${String(rec.msg ?? '')}${extras ? '  ' + extras : ''}`;
}

function minLevel(a: string, b: string): string {
  const v = (l: string) => pinoLib().levels.values[l] ?? 30;
  return v(a) <= v(b) ? a : b;
}
