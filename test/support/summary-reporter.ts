import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** Past this many, skipped tests are counted, not named (a run filtered with -t skips most). */
const NAMED_SKIPS = 25;

/**
 * Ends the run with a plain "N passed, N failed, N skipped" line, which CI
 * reads to tell a run that tested something from one that tested nothing.
 * Above it, each test that did not run is named with its reason where it gave
 * one (ctx.skip(note)), so a check that cannot run on this machine (no
 * systemd-analyze, say) says so instead of vanishing into the count.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: TestCase[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(test);
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++; // a file that failed to load
    }
    const lines = skipped.slice(0, NAMED_SKIPS).map((t) => {
      const note = t.result().note;
      return `not run: ${path.relative(process.cwd(), t.module.moduleId)} > ${t.fullName}${note ? ` (${note})` : ''}`;
    });
    if (skipped.length > NAMED_SKIPS) lines.push(`not run: ${skipped.length - NAMED_SKIPS} more`);
    process.stdout.write(`\n${lines.map((l) => `${l}\n`).join('')}tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
