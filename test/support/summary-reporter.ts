import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** Past this many, skipped tests are counted, not named (a run filtered with -t skips most). */
const NAMED_SKIPS = 25;

/**
 * Ends the run with a plain "N passed, N failed, N skipped" line, which CI
 * reads to tell a run that tested something from one that tested nothing.
 * Above it, each test that did not run is named with its reason where it gave
 * one (ctx.skip(note)), so a check that cannot run on this machine (no
 * systemd-analyze, say) says so instead of vanishing into the count. A test
 * that never finished (its worker process died) is named and counted failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: TestCase[] = [];
    const unfinished: TestCase[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped') skipped.push(test);
        else unfinished.push(test); // its worker died (a native crash, say) before the test ended
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++; // a file that failed to load
    }
    const lines = skipped.slice(0, NAMED_SKIPS).map((t) => {
      const note = t.result().note;
      return `not run: ${path.relative(process.cwd(), t.module.moduleId)} > ${t.fullName}${note ? ` (${note})` : ''}`;
    });
    if (skipped.length > NAMED_SKIPS) lines.push(`not run: ${skipped.length - NAMED_SKIPS} more`);
    // A test that never finished has not passed: it counts as failed.
    for (const t of unfinished) lines.push(`did not finish: ${path.relative(process.cwd(), t.module.moduleId)} > ${t.fullName}`);
    failed += unfinished.length;
    process.stdout.write(`\n${lines.map((l) => `${l}\n`).join('')}tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
