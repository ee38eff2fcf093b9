import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

/**
 * The scan hands the planner names that are slices of their directory's whole
 * listing (one string, names joined with '/', split again: V8 keeps a substring
 * of 13 or more characters as a view into its parent). A planned item lives until
 * the transfer is submitted, up to transfer.maxItems of them, so one that kept
 * such a slice would keep the whole listing alive with it. A child process plans
 * 200 directories the way the recorder feeds them (a changed file and a new
 * subdirectory in each: a file item and a recursive one), reports a removed and
 * an unreadable path in each to the deletes' collector, drops everything but the
 * items and the collector, and writes a heap snapshot; no listing may be left in it.
 */
const COALESCER = path.resolve(__dirname, '../dist/src/plan/coalescer.js');
const DELETES = path.resolve(__dirname, '../dist/src/deletes/plan-deletes.js');

const CHILD = (coalescer: string, deletes: string) => `import v8 from 'node:v8';
import { Coalescer } from ${JSON.stringify(coalescer)};
import { collectRemovals } from ${JSON.stringify(deletes)};
// In a function of its own, so that nothing but the items outlives the planning.
function plan() {
  const items = [];
  // With deletes on, the scan's removed and unreadable paths are kept until the deletes are planned.
  const removals = collectRemovals();
  const c = new Coalescer({ sourceRoot: '/src/', destinationRoot: '/dst/' }, (item) => items.push(item));
  c.enterDir({ relPath: '', nodeId: 1, shipped: true });
  for (let d = 0; d < 200; d++) {
    const names = Array.from({ length: 40 }, (_, k) => 'listing-' + d + '-entry-' + String(k).padStart(4, '0') + '.dat').join('/').split('/');
    const dir = 'directory-' + String(d).padStart(4, '0');
    c.enterDir({ relPath: dir, nodeId: 2 + d, shipped: true });
    c.file({ relPath: dir + '/' + names[7], nodeId: 1000 + d, size: 1n, verdict: 'changed' });
    // A new directory in it: one recursive item, whose path ends in a sliced name too.
    removals.onRemoved({ relPath: dir + '/' + names[11], nodeId: 4000 + d, change: 'gone' });
    removals.onUnreadable(dir + '/' + names[13]);
    c.enterDir({ relPath: dir + '/' + names[9], nodeId: 2000 + d, shipped: false });
    c.file({ relPath: dir + '/' + names[9] + '/new.dat', nodeId: 3000 + d, size: 1n, verdict: 'new' });
    c.leaveDir();
    c.leaveDir();
  }
  c.leaveDir();
  return { items, removals };
}
const { items, removals } = plan();
// A last listing built and dropped, in case a register still held the loop's last one.
Array.from({ length: 40 }, (_, k) => 'scratch-' + k).join('/').split('/');
// The probe's control: one listing kept on purpose, which the snapshot must show.
globalThis.kept = Array.from({ length: 40 }, (_, k) => 'listing-kept-entry-' + k + '.dat').join('/');
v8.writeHeapSnapshot(process.argv[2]);
process.stdout.write(JSON.stringify({ paths: items.map((i) => i.source_path), removed: removals.removed.length, unreadable: removals.unreadable.length }));
`;

/** Strings in a heap snapshot that hold at least `min` entries of one of the child's listings. */
function listingsIn(snapshotFile: string, min: number): string[] {
  const snap = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const found: string[] = [];
  for (let i = 0; i < snap.nodes.length; i += width) {
    if (types[snap.nodes[i + typeAt]!] !== 'string') continue;
    const text = snap.strings[snap.nodes[i + nameAt]!]!;
    if (text.split('listing-').length - 1 >= min) found.push(text);
  }
  return found;
}

describe('planned items and collected removals', () => {
  it("keep their own copy of each path, not a slice of the scan's whole directory listing", () => {
    assertBuilt();
    const dir = tempDir('gsync-plan-memory-');
    const script = path.join(dir, 'plan.mjs');
    const snapshot = path.join(dir, 'plan.heapsnapshot');
    fs.writeFileSync(script, CHILD(COALESCER, DELETES));
    const out = execFileSync(process.execPath, [script, snapshot], { encoding: 'utf8' });
    const { paths, removed, unreadable } = JSON.parse(out) as { paths: string[]; removed: number; unreadable: number };
    expect([removed, unreadable]).toEqual([200, 200]);
    expect(paths).toHaveLength(400);
    expect(paths).toContain('/src/directory-0003/listing-3-entry-0007.dat');
    expect(paths).toContain('/src/directory-0003/listing-3-entry-0009.dat/');
    // The one listing still alive is the control the child kept on purpose.
    expect(listingsIn(snapshot, 5)).toEqual([expect.stringMatching(/^listing-kept-entry-0\.dat\/listing-kept-entry-1\.dat\//)]);
  }, 60_000);
});
