// First, before the CLI's modules load: V8's young generation stays at its initial size (src/heap/).
import './heap/at-start.js';
import { CommanderError } from 'commander';
import { buildCli } from './cli.js';
import { GsyncError } from './errors/errors.js';
import { EXIT, exitCodeFor } from './errors/exit-codes.js';

/**
 * A reader that closes the pipe early (`gsync plan --json | head -1`) is done
 * with us: stop quietly, as a Unix tool ended by SIGPIPE does, instead of an
 * unhandled EPIPE with a stack trace. Node ignores SIGPIPE, so it is done here.
 * Stopping mid-run is as safe as any kill: the state is written in transactions.
 */
function stopQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EXIT.brokenPipe);
  });
}
stopQuietlyOnBrokenPipe(process.stdout);
stopQuietlyOnBrokenPipe(process.stderr);

/** The only place that calls process.exit. */
async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildCli((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander but successes to us
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const code = exitCodeFor(err);
    // An overlapping cron tick is not news: with --quiet the exit code (75) alone says it.
    const quietLock = code === EXIT.locked && program.opts<{ quiet?: boolean }>().quiet === true;
    if (!quietLock) process.stderr.write(describe(err) + '\n');
    return code;
  }
}

function describe(err: unknown): string {
  if (err instanceof GsyncError) return `gsync: ${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  if (err instanceof Error) return `gsync: ${err.message}`;
  return `gsync: ${String(err)}`;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Let pino flush; then leave even if a stray handle (a keep-alive socket) is open.
    setImmediate(() => process.exit(code));
  },
  (err) => {
    process.stderr.write(`gsync: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(EXIT.failure);
  },
);
