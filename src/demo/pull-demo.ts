import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../errors/exit-codes.js';
import { summaryLine } from '../report/run-summary.js';
import { runJob, type RunJobResult } from '../sync/run-job.js';
import type { DemoJob, DemoOptions } from './demo-job.js';
import { changeSampleTree, writeSampleTree } from './sample-tree.js';

/** The processing log the demo's hook appends to, one line per file. */
const PROCESSED = 'processed.txt';

/**
 * The demo's hooks.onFile: "processes" one arrived file (one line with its path
 * and size in processed.txt) and removes the local copy, as a trickle download
 * of data larger than the local disk would.
 */
export function processingHook(work: string): string[] {
  const script = `const fs = require('node:fs');
const local = process.env.GSYNC_LOCAL_PATH;
fs.appendFileSync(process.argv[1], process.env.GSYNC_RELATIVE_PATH + ' ' + fs.statSync(local).size + ' bytes\\n');
fs.rmSync(local);`;
  return [process.execPath, '-e', script, path.join(work, PROCESSED)];
}

/**
 * `gsync demo --pull` (issue 29): the source is a "remote" collection, listed
 * through Globus only; each arrival is processed by hooks.onFile and removed;
 * the next pull brings exactly what is new or changed, and nothing processed
 * is fetched again. 0 when every file was processed once per version and the
 * local folder is empty at the end.
 */
export async function pullStory(job: DemoJob, opts: DemoOptions, say: (line?: string) => void): Promise<number> {
  const run = () => runJob({ config: job.config, logger: opts.logger, ...opts.wire(job.config, job.env, opts.logger), wait: true, timeoutSeconds: 60, pollIntervalMs: 25 });
  const processed = () => {
    const file = path.join(opts.work, PROCESSED);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  };
  const nowS = Math.floor((opts.now ?? Date.now)() / 1000);
  let ok = true;
  const expect = (r: RunJobResult, result: RunJobResult['result'], files: number, seen: number) => {
    if (r.result !== result || processed().length !== seen || r.files !== files) ok = false;
  };

  say(`gsync demo --pull: this runs against the local Globus-compatible server at ${job.srv.url}, not Globus.`);
  say('The source is a "remote" collection, listed through Globus only; the destination is a folder here,');
  say('and hooks.onFile processes each arrived file, then removes the local copy (download, process, remove).');
  say(`  remote collection  ${job.source}`);
  say(`  local folder       ${job.destination}`);
  say();

  const made = writeSampleTree(job.source, nowS - 3600);
  say(`1. The remote collection holds ${made.files} files in ${made.dirs} folders.`);
  const first = await run();
  expect(first, 'succeeded', made.files, made.files);
  say(`   first pull:  ${summaryLine(first)}`);
  say(`   processed ${processed().length} files; local files left: ${countFiles(job.destination)}`);
  say();

  const changes = changeSampleTree(job.source, nowS - 600);
  const news = changes.changed.length + changes.added.length + changes.touched.length;
  say(`2. At the remote end ${changes.changed.length} files changed, ${changes.added.length} were added, ${changes.touched.length} touched.`);
  const second = await run();
  expect(second, 'succeeded', news, made.files + news);
  say(`   second pull: ${summaryLine(second)}`);
  for (const line of processed().slice(made.files)) say(`     processed  ${line}`);
  say();

  const third = await run();
  expect(third, 'nothing-to-do', 0, made.files + news);
  say('3. Nothing new at the remote end; the processed files are gone here, and are not fetched again.');
  say(`   third pull:  ${summaryLine(third)}`);
  say();

  const left = countFiles(job.destination);
  if (ok && left === 0) say(`Every arrival was processed once (${processed().length} in all) and removed; the local folder holds no file.`);
  else say(`A pull did not end as expected (${processed().length} processed, ${left} local files left); see the lines above.`);
  return ok && left === 0 ? EXIT.ok : EXIT.failure;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}
