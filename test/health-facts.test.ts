import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHealthFacts } from '../src/health/facts.js';
import { createDeleteTask, markDeleteSubmitted } from '../src/ledger/delete-rows.js';
import { createSubmission, markSubmitted } from '../src/ledger/transfer-rows.js';
import { openState } from '../src/state/open.js';
import { jobGauges } from '../src/state/totals.js';
import { tempDir } from './helpers/temp.js';

const S = 1_000_000_000n;

/**
 * `gsync status --check` and the metrics file read the same gauges (state/totals.ts
 * jobGauges): the oldest open task is the oldest of every kind that reached
 * Globus, a delete task included, and a task recorded but never POSTed has no age.
 */
describe('job gauges shared by status --check and the metrics', () => {
  it('ages the oldest submitted task of any kind and ignores rows never posted', () => {
    const state = openState(path.join(tempDir('gsync-gauges-'), 'job.db'));
    try {
      const unposted = createSubmission(state, { submissionId: 'sid-a', document: '{}', items: [], files: 0, bytes: 0, createdNs: 1n * S });
      expect(unposted).toBeGreaterThan(0);
      expect(readHealthFacts(state, 500n * S)).toMatchObject({ openTasks: 1, openTaskAgeSeconds: 0 });

      const transfer = createSubmission(state, { submissionId: 'sid-b', document: '{}', items: [], files: 0, bytes: 0, createdNs: 300n * S });
      markSubmitted(state, transfer, 'task-b', 300n * S);
      const del = createDeleteTask(state, { submissionId: 'sid-c', document: '{}', targets: [], createdNs: 100n * S });
      markDeleteSubmitted(state, del, 'task-c', 100n * S);

      expect(jobGauges(state)).toMatchObject({ open: 3, inactive: 0, oldestSubmittedNs: 100n * S });
      expect(readHealthFacts(state, 500n * S)).toMatchObject({ openTasks: 3, openTaskAgeSeconds: 400 });
    } finally {
      state.close();
    }
  });
});
