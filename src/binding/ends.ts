import path from 'node:path';
import type { Config } from '../config/schema.js';

import type { JobEnds, SourceEnds } from '../state/binding.js';

export type { JobEnds, SourceEnds };

/** One end that differs: the config key a person edits, and both values. */
export interface EndChange {
  key: keyof JobEnds;
  configKey: string;
  was: string;
  now: string;
}

const CONFIG_KEY: Record<keyof JobEnds, string> = {
  sourceCollection: 'source.collection',
  sourcePath: 'source.path',
  collectionPath: 'source.collectionPath',
  destinationCollection: 'destination.collection',
  destinationPath: 'destination.path',
};

const DESTINATION_KEYS: ReadonlyArray<keyof JobEnds> = ['destinationCollection', 'destinationPath'];

/** Ids compare without case (Globus answers either); paths as written, without a trailing slash or "." steps. */
export function endsOf(config: Config): JobEnds {
  return {
    sourceCollection: config.source.collection.toLowerCase(),
    sourcePath: samePath(config.source.path),
    collectionPath: samePath(config.source.collectionPath),
    destinationCollection: config.destination.collection.toLowerCase(),
    destinationPath: samePath(config.destination.path),
  };
}

export function sourceEndsOf(ends: JobEnds): SourceEnds {
  return { sourceCollection: ends.sourceCollection, sourcePath: ends.sourcePath, collectionPath: ends.collectionPath };
}

function samePath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Every end that differs, in the order of the config file. */
export function changedEnds(recorded: JobEnds, current: JobEnds): EndChange[] {
  return (Object.keys(CONFIG_KEY) as Array<keyof JobEnds>)
    .filter((k) => recorded[k] !== current[k])
    .map((key) => ({ key, configKey: CONFIG_KEY[key], was: recorded[key], now: current[key] }));
}

/** A new destination holds none of what the trie records as shipped: everything is owed again. */
export const destinationChanged = (changes: readonly EndChange[]): boolean => changes.some((c) => DESTINATION_KEYS.includes(c.key));

export const sameSource = (a: SourceEnds, b: SourceEnds): boolean =>
  a.sourceCollection === b.sourceCollection && a.sourcePath === b.sourcePath && a.collectionPath === b.collectionPath;

/** "source.path /data/run7 -> /data/run8, destination.path /a -> /b" */
export function describeChanges(changes: readonly EndChange[]): string {
  return changes.map((c) => `${c.configKey} ${c.was} -> ${c.now}`).join(', ');
}

/** "source a1b2... /data/run7 (as /run7) -> destination c3d4... /archive" */
export function describeEnds(e: JobEnds): string {
  return `source ${e.sourceCollection} ${e.sourcePath} (as ${e.collectionPath}) -> destination ${e.destinationCollection} ${e.destinationPath}`;
}
