import path from 'node:path';
import { formatRows, isCollection, searchCollections, typeName } from '../collections/search.js';
import { makeDirs } from '../checks/collection-checks.js';
import { GsyncError, usageError } from '../errors/errors.js';
import { GlobusApiError } from '../globus/errors.js';
import type { Endpoint } from '../globus/schemas.js';
import { isUuid, UUID_PROBLEM } from './job-config.js';
import type { Prompter } from './prompt.js';
import type { InitSession } from './session.js';

export interface Destination {
  collection: string;
  path: string;
}

/** --destination UUID:PATH, the path absolute. */
export function parseDestinationFlag(value: string): Destination {
  const i = value.indexOf(':');
  const [id, p] = i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
  if (!isUuid(id)) throw usageError(`--destination "${value}": the part before ":" ${UUID_PROBLEM}`, 'write it as UUID:/path');
  if (!p.startsWith('/')) throw usageError(`--destination "${value}": the path after ":" must be absolute (start with /)`, 'write it as UUID:/path');
  return { collection: id.toLowerCase(), path: path.posix.normalize(p) };
}

/**
 * The destination must be a collection Transfer can write to: an id Globus
 * does not know, or a Globus Connect Server endpoint (which holds no data),
 * is refused with one line (exit 2), before anything is written.
 */
export async function checkDestinationCollection(session: InitSession, id: string): Promise<Endpoint> {
  let ep: Endpoint;
  try {
    ep = await session.call((c) => c.getEndpoint(id));
  } catch (err) {
    if (err instanceof GlobusApiError && err.isNotFound) throw usageError(`destination collection ${id}: no such collection`, 'check the id; gsync collections TEXT searches for it');
    throw err;
  }
  if (!isCollection(ep)) {
    throw usageError(
      `destination ${id} (${ep.display_name ?? 'no name'}) is a Globus Connect Server endpoint, not a collection`,
      'pick one of its mapped or guest collections; gsync collections TEXT lists them',
    );
  }
  return ep;
}

/** At a terminal: search, show numbered rows (endpoints left out), take a number or an id; until a usable collection is picked. */
export async function chooseDestination(session: InitSession, prompter: Prompter): Promise<Endpoint> {
  for (;;) {
    const text = await prompter.ask('Destination collection: words to search for, an id, or Enter to list your own and shared ones');
    let id = isUuid(text) ? text.toLowerCase() : undefined;
    if (id === undefined) {
      const found = await session.call((c) => searchCollections(c, { text, max: 50 }));
      if (found.leftOut) prompter.say(`  (${found.leftOut} endpoint${found.leftOut > 1 ? 's' : ''} left out: not collections, nothing can be transferred to them)`);
      if (found.rows.length === 0) {
        prompter.say(text ? `  No collection matches "${text}".` : '  You own no collection and none is shared with you: search by name instead.');
        continue;
      }
      for (const line of formatRows(found.rows, true)) prompter.say(line);
      const pick = await prompter.ask('Number (or Enter to search again)');
      const n = Number(pick);
      if (!(Number.isInteger(n) && n >= 1 && n <= found.rows.length)) continue;
      id = found.rows[n - 1]!.id;
    }
    try {
      return await checkDestinationCollection(session, id);
    } catch (err) {
      if (!(err instanceof GsyncError && err.kind === 'usage')) throw err;
      prompter.say(`  ${err.message}`);
    }
  }
}

/**
 * The destination path, listed to see it is there. At a terminal a missing
 * path is offered to be created (each missing level); without one it is left
 * for gsync test-config, which names the fix (--fix).
 */
export async function checkDestinationPath(session: InitSession, ep: Endpoint, p: string, prompter: Prompter | undefined, say: (l: string) => void): Promise<void> {
  const where = `${p} on ${ep.display_name ?? ep.id}`;
  try {
    await session.call((c) => c.ls(ep.id, p, { limit: 1 }));
    say(`Destination path ${where} exists.`);
    return;
  } catch (err) {
    if (!(err instanceof GlobusApiError && err.isNotFound)) throw err;
  }
  if (!prompter) {
    say(`Destination path ${where} does not exist yet (gsync test-config --fix creates it).`);
    return;
  }
  if (!(await prompter.confirm(`Destination path ${where} does not exist. Create it?`))) return;
  const made = await session.call((c) => makeDirs(c, ep.id, p));
  say(`Created ${made.join(', ') || p} on ${ep.display_name ?? ep.id} (${typeName(ep.entity_type ?? '')}).`);
}

/** At a terminal: an absolute path, default "/". */
export function askDestinationPath(prompter: Prompter, ep: Endpoint): Promise<string> {
  return prompter.askValid(`Destination path on ${ep.display_name ?? ep.id}`, '/', (a) => (a.startsWith('/') ? undefined : 'must be an absolute path (start with /)'));
}
