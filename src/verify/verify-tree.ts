import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { LsClient } from '../listing/dir-lister.js';
import { walkTree, type WalkTarget } from '../listing/tree-walker.js';
import { mapPath } from '../plan/paths.js';
import { fingerprintOf, type Fingerprint } from '../state/fingerprint.js';
import type { State } from '../state/open.js';
import { TrieStore } from '../state/trie.js';
import { shippedFilesUnder, type DriftMark } from '../state/verify-runs.js';
import { compareDirectory } from './compare-dir.js';
import { emptyCounts, type Finding, type VerifyCounts } from './findings.js';

export interface VerifyTreeOptions {
  config: Config;
  state: State;
  client: LsClient;
  /** The trie node and relative path ('' for the source directory itself) to verify under. */
  root: { nodeId: number; relPath: string };
  /** Collect what --repair needs; otherwise findings are only reported. */
  collectMarks: boolean;
  onFinding: (f: Finding) => void;
  onDirectory?: (counts: Readonly<VerifyCounts>) => void;
  /** Override config.verify.requestsPerSecond (Infinity: no limit; for the bench). */
  requestsPerSecond?: number;
  pageLimit?: number;
}

interface DirTag {
  nodeId: number;
  /** '' or ending in "/". */
  rel: string;
}

/**
 * Lists the destination under the verified path through Globus, directory by
 * directory in walk order, and compares each listing with the trie's children of
 * that directory as soon as it arrives. Only the directories still to list and
 * the listings in flight are held, never the destination's whole listing.
 */
export async function verifyTree(o: VerifyTreeOptions): Promise<{ counts: VerifyCounts; marks: DriftMark[] }> {
  const { config } = o;
  const trie = new TrieStore(o.state);
  const counts = emptyCounts();
  const marks: DriftMark[] = [];
  const mapping = { sourceRoot: config.source.collectionPath, destinationRoot: config.destination.path };
  const destDir = (rel: string) => (rel === '' ? mapPath('', true, mapping).destination_path : mapPath(rel.slice(0, -1), true, mapping).destination_path);
  const report = (f: Finding) => {
    counts[f.kind]++;
    if (o.collectMarks && f.nodeId !== undefined && (f.kind === 'missing' || f.kind === 'differs')) {
      marks.push({ nodeId: f.nodeId, subtree: f.path.endsWith('/'), differingCopy: f.exists === true });
    }
    o.onFinding(f);
  };
  const compareOpts = {
    preserveTimestamp: config.transfer.preserveTimestamp,
    localNow: (rel: string) => localFingerprint(path.join(config.source.path, rel)),
    filesUnder: (id: number) => shippedFilesUnder(o.state, id),
  };

  const rootRel = o.root.relPath === '' ? '' : `${o.root.relPath}/`;
  const root: WalkTarget<DirTag> = { path: destDir(rootRel), tag: { nodeId: o.root.nodeId, rel: rootRel } };
  let next: Array<WalkTarget<DirTag>> = [];
  const walk = walkTree(root, {
    client: o.client,
    endpointId: config.destination.collection,
    requestsPerSecond: o.requestsPerSecond ?? config.verify.requestsPerSecond,
    concurrency: config.verify.concurrency,
    pageLimit: o.pageLimit,
    children: () => next,
  });
  for await (const d of walk) {
    counts.listings += d.requests;
    next = [];
    const { nodeId, rel } = d.dir.tag;
    if (d.status === 'unlisted') {
      report({ kind: 'unverified', path: rel || './', detail: `${d.code}: ${d.message}` });
    } else if (d.status === 'missing' && d.dir !== root) {
      // Listed as a directory by its parent a moment ago, gone now.
      const files = shippedFilesUnder(o.state, nodeId);
      counts.files += files;
      report({ kind: 'missing', path: rel, nodeId, files });
    } else {
      // The verified directory itself missing (an emptied or re-pointed collection): everything under it is missing.
      counts.dirs++;
      const entries = d.status === 'listed' ? d.entries : [];
      const cmp = compareDirectory(trie.children(nodeId), entries, { ...compareOpts, dirRel: rel });
      counts.files += cmp.files;
      for (const f of cmp.findings) report(f);
      next = cmp.descend.map((c) => ({ path: destDir(`${rel}${c.name}/`), tag: { nodeId: c.nodeId, rel: `${rel}${c.name}/` } }));
    }
    o.onDirectory?.(counts);
  }
  return { counts, marks };
}

function localFingerprint(p: string): Fingerprint | null {
  try {
    const st = fs.lstatSync(p, { bigint: true });
    if (st.isFile()) return fingerprintOf('f', st);
    if (st.isDirectory()) return fingerprintOf('d', st);
    return null;
  } catch {
    return null;
  }
}
