import fs from 'node:fs';
import path from 'node:path';
import { resolveConfigPath } from '../config/load.js';
import { usageError } from '../errors/errors.js';
import type { Endpoint } from '../globus/schemas.js';
import type { Logger } from '../log/logger.js';
import { askDestinationPath, checkDestinationCollection, checkDestinationPath, chooseDestination, parseDestinationFlag, type Destination } from './destination.js';
import { isJobName, isUuid, minimalConfig, NAME_PROBLEM, suggestName, UUID_PROBLEM, validated, type JobAnswers } from './job-config.js';
import { Prompter } from './prompt.js';
import { InitSession } from './session.js';
import { gcsSource, localSource, type SourceCollection } from './source.js';
import { existsRefusal, writeConfigFile } from './write-config.js';

export interface InitFlags {
  name?: string;
  source?: string;
  sourceCollection?: string;
  destination?: string;
  output?: string;
  clientId?: string;
  force?: boolean;
}

export interface InitIO {
  env: NodeJS.ProcessEnv;
  /** Questions and what was detected: the terminal (stderr). */
  err: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** A person can answer (stdin and stderr are terminals); else nothing is ever asked. */
  interactive: boolean;
  logger: Logger;
  cwd: string;
  /** The global --config: where to write when --output is not given. */
  configFlag?: string;
}

/**
 * gsync init: asks (at a terminal) only what it cannot find out, checks what
 * it can against Globus, and writes a minimal config. Without a terminal
 * every answer must come from a flag; a missing one is refused (exit 2).
 * Returns the file written; the command then runs gsync test-config on it.
 */
export async function runInit(flags: InitFlags, io: InitIO): Promise<string> {
  const file = resolveConfigPath(flags.output ?? io.configFlag, io.env);
  // Refused before the first question, so nobody answers them all for nothing.
  if (fs.existsSync(file) && !flags.force) throw existsRefusal(file);
  const prompter = io.interactive ? new Prompter(io.stdin, io.err) : undefined;
  // What was detected and checked: said at once at a terminal; without one, only once the file is written,
  // so a refusal stays one line.
  const said: string[] = [];
  const say = (line: string) => (prompter ? io.err.write(line + '\n') : said.push(line));
  let session: InitSession | undefined;
  try {
    const name = await jobName(flags.name, io.cwd, prompter);
    const sourcePath = await sourceDir(flags.source, io.cwd, prompter);
    const clientId = await appClientId(flags.clientId, io.env, prompter);
    const local = await localSource(flags.sourceCollection, sourcePath, io.env, say, prompter);

    // Until the destination is known, the source stands in for it, so a login asks for what the source needs.
    const draft = (src: SourceCollection, dst?: Destination) =>
      validated(
        minimalConfig(answers(name, sourcePath, clientId, src, dst ?? { collection: src.collection, path: '/' })),
        file,
        io.env,
      );
    const placeholder: SourceCollection = 'resolved' in local ? local.resolved : { collection: local.gcsEndpoint };
    session = await InitSession.open(draft(placeholder), io.env, io.logger, prompter);
    if (!session) say('No Globus login for this job and no terminal to log in at: collections are not checked here; gsync test-config says what to run.');
    const source = 'resolved' in local ? local.resolved : await gcsSource(local.gcsEndpoint, local.from, session, say, prompter);
    session?.update(draft(source));

    let destination: Destination;
    if (flags.destination !== undefined) {
      destination = parseDestinationFlag(flags.destination);
      if (session) {
        const ep = await checkDestinationCollection(session, destination.collection);
        say(`Destination collection ${ep.id} (${ep.display_name ?? 'no name'}).`);
        session.update(draft(source, destination));
        await checkDestinationPath(session, ep, destination.path, undefined, say);
      }
    } else {
      if (!prompter) throw usageError('the destination is needed: pass --destination UUID:PATH (no terminal to ask at)');
      if (!session) throw usageError('searching for the destination needs a Globus login', 'pass --destination UUID:PATH');
      const ep: Endpoint = await chooseDestination(session, prompter);
      destination = { collection: ep.id.toLowerCase(), path: path.posix.normalize(await askDestinationPath(prompter, ep)) };
      session.update(draft(source, destination));
      await checkDestinationPath(session, ep, destination.path, prompter, say);
    }

    const raw = minimalConfig(answers(name, sourcePath, clientId, source, destination));
    validated(raw, file, io.env);
    writeConfigFile(file, JSON.stringify(raw, null, 2) + '\n', flags.force === true);
    for (const line of said.splice(0)) io.err.write(line + '\n');
    say(`Wrote ${file}. Edit scan.exclude to leave files out; deletes.enabled stays false unless the destination should lose what the source loses (README "Configuration", "Deletions").`);
    for (const line of said.splice(0)) io.err.write(line + '\n');
    return file;
  } finally {
    prompter?.close();
    await session?.close();
  }
}

function answers(name: string, sourcePath: string, clientId: string, src: SourceCollection, dst: Destination): JobAnswers {
  return {
    name,
    sourcePath,
    sourceCollection: src.collection,
    ...(src.collectionPath ? { sourceCollectionPath: src.collectionPath } : {}),
    destinationCollection: dst.collection,
    destinationPath: dst.path,
    clientId,
  };
}

async function jobName(flag: string | undefined, cwd: string, prompter: Prompter | undefined): Promise<string> {
  if (flag !== undefined) {
    if (!isJobName(flag)) throw usageError(`--name "${flag}": ${NAME_PROBLEM}`);
    return flag;
  }
  if (!prompter) throw usageError('the job name is needed: pass --name NAME (no terminal to ask at)');
  return prompter.askValid('Job name (names its state database, tokens and logs)', suggestName(path.basename(cwd)), (a) => (isJobName(a) ? undefined : NAME_PROBLEM));
}

async function sourceDir(flag: string | undefined, cwd: string, prompter: Prompter | undefined): Promise<string> {
  if (flag !== undefined) {
    const problem = directoryProblem(path.resolve(cwd, flag));
    if (problem) throw usageError(`--source ${flag}: ${problem}`);
    return path.resolve(cwd, flag);
  }
  if (!prompter) throw usageError('the source directory is needed: pass --source PATH (no terminal to ask at)');
  const answer = await prompter.askValid('Source directory (the local tree to keep in sync)', cwd, (a) => directoryProblem(path.resolve(cwd, a)));
  return path.resolve(cwd, answer);
}

function directoryProblem(p: string): string | undefined {
  try {
    return fs.statSync(p).isDirectory() ? undefined : 'is not a directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
  }
}

/**
 * auth.clientId: --client-id, else GLOBUS_CLIENT_ID (a service account's own
 * id), else asked: the native app registered for gsync at the site.
 */
async function appClientId(flag: string | undefined, env: NodeJS.ProcessEnv, prompter: Prompter | undefined): Promise<string> {
  const given = flag ?? env.GLOBUS_CLIENT_ID;
  if (given !== undefined) {
    if (!isUuid(given)) throw usageError(`${flag !== undefined ? '--client-id' : 'GLOBUS_CLIENT_ID'} "${given}": ${UUID_PROBLEM}`);
    return given.toLowerCase();
  }
  if (!prompter) throw usageError('the Globus app client id is needed: pass --client-id UUID or set GLOBUS_CLIENT_ID (no terminal to ask at)');
  return prompter.askValid('Globus native app client id (auth.clientId; registered at app.globus.org/settings/developers)', undefined, (a) => (isUuid(a) ? undefined : UUID_PROBLEM));
}
