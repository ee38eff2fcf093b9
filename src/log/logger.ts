import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger };

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
  const stream = opts.stream ?? process.stderr;
  const level = opts.quiet ? 'warn' : (opts.level ?? 'info');
  const readable = !opts.json && stream.isTTY === true;
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: readable ? readableStream(stream) : stream }];
  if (opts.file) {
    streams.push({ level: (opts.level ?? 'info') as pino.Level, stream: pino.destination({ dest: opts.file, mkdir: true, sync: true }) });
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

/** A logger that drops everything; the default for library code and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function readableStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) out.write(formatReadable(line) + '\n');
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

function minLevel(a: string, b: string): string {
  const v = (l: string) => pino.levels.values[l] ?? 30;
  return v(a) <= v(b) ? a : b;
}
