import { Command, InvalidArgumentError, Option } from 'commander';
import { CHANGE_FORMATS } from './changes/formats.js';
import { processContext, type GlobalOptions } from './commands/context.js';
import { packageVersion } from './version/package-version.js';
import { joinLines } from './report/text.js';

/**
 * Wiring only: each action normalises its options, imports its command module
 * lazily (so `gsync plan` does not load the HTTP client) and returns an exit code.
 */
export function buildCli(onExitCode: (code: number) => void): Command {
  const program = new Command('gsync')
    .description('Keep a remote Globus collection up to date with a local directory tree')
    .version(packageVersion(), '-V, --version', 'print the gsync version (more for bug reports: gsync version)')
    .option('-c, --config <file>', 'job config file (default: $GSYNC_CONFIG, else ./gsync.json)')
    .option('-q, --quiet', 'only warnings and errors (for cron)')
    .option('--log-json', 'JSON log lines even at a terminal')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']))
    // One line per usage error, as for every other error: commander's suggestion
    // ("Did you mean ...?") and the help pointer are folded into it.
    .configureOutput({ outputError: (message, write) => write(`gsync: ${joinLines(message)} (run gsync --help for usage)\n`) })
    .exitOverride();

  const ctx = () => processContext(program.opts<GlobalOptions>());
  const done = (code: number | void) => onExitCode(code ?? 0);

  program
    .command('run')
    .description('scan, plan and submit one Globus transfer of what changed')
    .option('--wait', 'poll until the task ends and record the result')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this many seconds', positiveInt)
    .option('--dry-run', 'scan and plan, but submit nothing and change no state')
    .option('--changes <file>', 'look only at the paths listed in this file (- for stdin), e.g. from mmapplypolicy, lfs changelog or find')
    .addOption(changesFormatOption())
    .option('--allow-deletes <n>', 'with deletes.enabled: this run may delete up to N paths past the deletes guards', nonNegativeInt)
    .option('--reconcile', 'also send the whole source as one recursive item: Globus re-sends what the destination lost or holds older')
    .option('--progress', 'draw the progress line on stderr even without a terminal (script, CI logs)')
    .option('--no-progress', 'no progress line, even at a terminal')
    .option('-v, --itemize', 'list each path shipped, deleted or held back, with why: new, size, mtime, mtime-back, type, inode, repair, delete, held, deferred')
    .action(async (opts) =>
      // A dry run is exactly a plan: read-only, no lock, no Globus.
      done(
        opts.dryRun
          ? await (await import('./commands/plan.js')).planCommand({ changes: opts.changes, changesFormat: opts.changesFormat, itemize: opts.itemize }, ctx())
          : await (await import('./commands/run.js')).runCommand(opts, ctx()),
      ),
    );

  program
    .command('plan')
    .description('print what the next run would ship; changes nothing')
    .option('--json', 'one JSON object per line: items, then totals')
    .option('-v, --itemize', 'each path with why it ships or waits (new, size, mtime, mtime-back, type, inode, repair, delete, held, deferred); in --json, a reason field')
    .option('--changes <file>', 'plan only the paths listed in this file (- for stdin)')
    .addOption(changesFormatOption())
    .action(async (opts) => done(await (await import('./commands/plan.js')).planCommand(opts, ctx())));

  program
    .command('set-time')
    .description('reset last-transfer times for the whole tree or a subtree')
    .option('--path <path>', 'only this path inside the source directory')
    .option('--time <iso8601>', 'only paths modified after this time ship')
    .option('--now', 'as --time with the current time')
    .option('--never', 'mark paths never shipped, so they all ship again')
    .action(async (opts) => done(await (await import('./commands/set-time.js')).setTimeCommand(opts, ctx())));

  program
    .command('verify')
    .description('list the destination through Globus and report what drifted from what was shipped')
    .option('--path <path>', 'only this directory inside the source directory')
    .option('--repair', 'mark every drifted path owed, so the next run ships exactly those')
    .option('--json', 'one JSON object per line: findings, then a summary')
    .action(async (opts) => done(await (await import('./commands/verify.js')).verifyCommand(opts, ctx())));

  program
    .command('rebind')
    .description('accept the source and destination the config now names (after editing them)')
    .action(async () => done(await (await import('./commands/rebind.js')).rebindCommand(ctx())));

  program
    .command('test-config')
    .description('check config, credentials and both collections; print a checklist')
    .option('--fix', 'create the destination path if it is missing')
    .option('--no-login', 'never log in, even at a terminal (a missing login fails the check, exit 77)')
    .action(async (opts) => done(await (await import('./commands/test-config.js')).testConfigCommand(opts, ctx())));

  program
    .command('init')
    .description('write a job config (asking at a terminal only what it cannot find out), then run test-config on it')
    .option('--name <name>', 'job name')
    .option('--source <path>', 'local source directory')
    .option('--source-collection <uuid>', 'collection holding the source directory (default: found by itself)')
    .option('--destination <uuid:path>', 'destination collection and absolute path on it')
    .option('--client-id <uuid>', 'Globus app client id (auth.clientId; default $GLOBUS_CLIENT_ID)')
    .option('--output <file>', 'where to write the config (default: --config, $GSYNC_CONFIG, else ./gsync.json)')
    .option('--force', 'replace an existing file (atomically)')
    .action(async (opts) => done(await (await import('./commands/init.js')).initCommand(opts, ctx())));

  program
    .command('collections [text]')
    .description('search Globus collections: by TEXT, your own (--mine), else yours, shared with you and used lately')
    .option('--mine', 'only collections you own')
    .option('--json', 'one JSON object per collection')
    .action(async (text, opts) => done(await (await import('./commands/collections.js')).collectionsCommand(text, opts, ctx())));

  program
    .command('status')
    .description('last runs, pending task, tracked and dirty paths, token expiry')
    .option('--json', 'one JSON object')
    .option('--check', 'one line and a Monitoring Plugins exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); reads only the state database')
    .option('--warning <age>', 'with --check: WARNING when no run succeeded for this long (900, 15m, 2h; default 3 of the job\'s intervals)')
    .option('--critical <age>', 'with --check: CRITICAL when no run succeeded for this long (default 6 of the job\'s intervals)')
    .option('--task-warning <age>', 'with --check: WARNING when a task has been open this long (default 24h)')
    .option('--task-critical <age>', 'with --check: CRITICAL when a task has been open this long (default 72h)')
    .action(async (opts) =>
      done(
        opts.check
          ? await (await import('./commands/status-check.js')).statusCheckCommand(opts, ctx())
          : await (await import('./commands/status.js')).statusCommand(opts, ctx()),
      ),
    );

  program
    .command('login')
    .description('log in to Globus (native app flow) and store a refresh token')
    .option('--no-open', 'only print the URL')
    .action(async (opts) => done(await (await import('./commands/login.js')).loginCommand(opts, ctx())));

  program
    .command('logout')
    .description('revoke and delete the stored tokens')
    .action(async (opts) => done(await (await import('./commands/logout.js')).logoutCommand(opts, ctx())));

  program
    .command('watch')
    .description('stay running: sync when changes settle, rescan on an interval')
    .action(async (opts) => done(await (await import('./commands/watch.js')).watchCommand(opts, ctx())));

  program
    .command('demo')
    .description('run three syncs of a sample tree against the local Globus-compatible server')
    .option('--dir <dir>', 'work folder (default: a new temporary folder)')
    .option('--keep', 'keep the work folder afterwards')
    .option('--pull', 'pull from a "remote" collection listed through Globus, processing and removing each arrival')
    .action(async (opts) => done(await (await import('./commands/demo.js')).demoCommand(opts, ctx())));

  program
    .command('version')
    .description('gsync, Node and state schema versions, for bug reports')
    .option('--json', 'one JSON object')
    .action(async (opts) => done(await (await import('./commands/version.js')).versionCommand(opts, ctx())));

  program
    .command('server')
    .description('run the local Globus-compatible server (for tests and demos)')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', nonNegativeInt, 0)
    .option('--collection <id=dir...>', 'a collection id mapped to a local folder (repeatable)')
    .option('--server-config <file>', 'JSON file describing collections, clients and faults')
    .action(async (opts) => done(await (await import('./commands/server.js')).serverCommand(opts, ctx())));

  return program;
}

function changesFormatOption(): Option {
  return new Option('--changes-format <format>', 'how --changes lists paths').choices(CHANGE_FORMATS).default('lines');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a whole number greater than 0');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}
