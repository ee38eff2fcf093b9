import { formatBytes } from '../report/format-bytes.js';
import { summaryLine } from '../report/run-summary.js';
import { EXIT } from '../errors/exit-codes.js';
import { runJob, type RunJobResult } from '../sync/run-job.js';
import { compareTrees } from './compare-trees.js';
import { startDemoJob, type DemoJob, type DemoOptions } from './demo-job.js';
import { pullStory, processingHook } from './pull-demo.js';
import { changeSampleTree, writeSampleTree } from './sample-tree.js';

export type { DemoOptions };

/** Three syncs of a sample tree against the local server, told on `out`; 0 when the destination ends up equal to the source. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const say = (line = '') => opts.out.write(line + '\n');
  const job = await startDemoJob(opts.work, opts.pull ? { pull: { onFile: processingHook(opts.work) } } : {});
  try {
    return await (opts.pull ? pullStory(job, opts, say) : story(job, opts, say));
  } finally {
    await job.close();
  }
}

async function story(job: DemoJob, opts: DemoOptions, say: (line?: string) => void): Promise<number> {
  const run = () => runJob({ config: job.config, logger: opts.logger, ...opts.wire(job.config, job.env, opts.logger), wait: true, timeoutSeconds: 60, pollIntervalMs: 25 });
  const nowS = Math.floor((opts.now ?? Date.now)() / 1000);
  let ok = true;
  const expect = (r: RunJobResult, result: RunJobResult['result']) => {
    if (r.result !== result) ok = false;
  };

  say(`gsync demo: this runs against the local Globus-compatible server at ${job.srv.url}, not Globus.`);
  say('It needs no account and no network; both collections are folders on this machine.');
  say(`  source       ${job.source}`);
  say(`  destination  ${job.destination}`);
  say();

  const made = writeSampleTree(job.source, nowS - 3600);
  say(`1. A sample tree: ${made.files} files (${formatBytes(BigInt(made.bytes))}) in ${made.dirs} folders, names with spaces, two of 1 MB and more.`);
  const first = await run();
  expect(first, 'succeeded');
  say(`   first sync:  ${summaryLine(first)}`);
  say();

  const changes = changeSampleTree(job.source, nowS - 600);
  say(`2. Changed ${changes.changed.length} files, added ${changes.added.length}, touched ${changes.touched.length} (same contents, newer mtime).`);
  const second = await run();
  expect(second, 'succeeded');
  say(`   second sync: ${summaryLine(second)}`);
  for (const rel of shippedBy(job, second)) say(`     shipped  ${rel}`);
  say();

  const third = await run();
  expect(third, 'nothing-to-do');
  say(`3. Nothing changed since.`);
  say(`   third sync:  ${summaryLine(third)}`);
  say();

  const cmp = compareTrees(job.source, job.destination);
  if (cmp.equal) {
    say(`The destination equals the source: ${cmp.files} files, ${formatBytes(BigInt(cmp.bytes))}, contents compared byte for byte.`);
  } else {
    say(`The destination does NOT equal the source (${cmp.differences.length} differences):`);
    for (const d of cmp.differences.slice(0, 20)) say(`  ${d}`);
    if (cmp.differences.length > 20) say(`  ... and ${cmp.differences.length - 20} more`);
  }
  if (!ok) say('A sync did not end as expected; see the lines above.');
  return cmp.equal && ok ? EXIT.ok : EXIT.failure;
}

/** Files the run's task really copied, as the server recorded them, relative to the source. */
function shippedBy(job: DemoJob, r: RunJobResult): string[] {
  if (r.taskId === null) return [];
  const task = job.srv.tasks.get(r.taskId);
  return (task?.successful ?? []).map((s) => s.source_path.replace(/^\/+/, '')).sort();
}
