import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { transferDocumentSchema } from '../src/globus/schemas.js';
import { labelTemplateProblem } from '../src/config/label.js';
import { renderLabel } from '../src/config/label.js';
import { relPathOnSource } from '../src/plan/paths.js';
import { buildTransferDocument, syncLevelFor } from '../src/sync/transfer-document.js';
import { buildDeleteDocument } from '../src/deletes/delete-document.js';
import { deleteDocumentSchema } from '../src/globus/schemas.js';

const SRC = '1405823f-0597-4a16-b296-46d4f0ae4b15';
const DST = '0e4a77f8-b778-4d5c-abaa-e1254e71427f';

function config(transfer: Record<string, unknown> = {}): Config {
  const r = parseConfig({
    name: 'beamline-7',
    source: { collection: SRC, path: '/data/bl7', collectionPath: '/export/bl7' },
    destination: { collection: DST, path: '/archive/bl7/' },
    auth: { clientId: '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001' },
    state: { path: '/tmp/x.db' },
    transfer,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

const item = { nodeId: 2, relPath: 'a b.txt', source_path: '/export/bl7/a b.txt', destination_path: '/archive/bl7/a b.txt', recursive: false, files: 1, bytes: 3n };
const AT = new Date('2026-11-24T05:06:07.890Z');

describe('transfer document', () => {
  it('carries every configured option with the defaults the issue names, and passes the strict schema', () => {
    const doc = buildTransferDocument(config(), 'sid-1', [item], AT);
    expect(transferDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc).toMatchObject({
      submission_id: 'sid-1',
      source_endpoint: SRC,
      destination_endpoint: DST,
      sync_level: 2,
      notify_on_succeeded: false,
      notify_on_failed: true,
      notify_on_inactive: true,
      skip_source_errors: true,
      fail_on_quota_errors: true,
      label: 'gsync beamline-7 2026-11-24 05:06:07',
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/export/bl7/a b.txt', destination_path: '/archive/bl7/a b.txt', recursive: false }],
    });
    expect(doc).not.toHaveProperty('deadline');
  });

  it('turns deadlineSeconds into an ISO time with an offset', () => {
    const doc = buildTransferDocument(config({ deadlineSeconds: 3600, notifyOnSucceeded: true }), 'sid', [item], AT);
    expect(doc.deadline).toBe('2026-11-24T06:06:07+00:00');
    expect(doc.notify_on_succeeded).toBe(true);
  });

  it('gives a delete document the same notification flags and deadline as the transfers (one source for every kind)', () => {
    const c = config({ deadlineSeconds: 600, notifyOnSucceeded: true, notifyOnFailed: false, notifyOnInactive: false });
    const del = buildDeleteDocument(c, 'sid-d', [{ path: '/archive/bl7/old', shippedKind: 'd' }], AT);
    const xfer = buildTransferDocument(c, 'sid-t', [item], AT);
    expect(deleteDocumentSchema.safeParse(del).success).toBe(true);
    for (const doc of [del, xfer]) {
      expect(doc).toMatchObject({ notify_on_succeeded: true, notify_on_failed: false, notify_on_inactive: false, deadline: '2026-11-24T05:16:07+00:00' });
    }
    expect(buildDeleteDocument(config(), 'sid', [], AT)).not.toHaveProperty('deadline');
  });

  it('keeps labels within 128 characters and free of control characters', () => {
    const long = renderLabel(`{name} ${'x'.repeat(200)}\n{date}`, 'job', AT);
    expect([...long]).toHaveLength(128);
    expect(renderLabel('a\tb\nc {time}', 'job', AT)).toBe('a b c 05:06:07');
  });

  // task_submit, label: no leading or trailing whitespace, no \r or \n, at most 128 characters.
  it('fills, cleans, cuts, then trims: no outer whitespace, even where the cut lands on a space', () => {
    expect(renderLabel(' gsync {name} ', 'job', AT)).toBe('gsync job');
    expect(renderLabel('\n{name}\r\n', 'job', AT)).toBe('job');
    const cutOnSpace = renderLabel(`${'x'.repeat(127)} tail`, 'job', AT);
    expect(cutOnSpace).toBe('x'.repeat(127));
    expect(labelTemplateProblem('  ')).toMatch(/blank/);
    expect(labelTemplateProblem(' {name} ')).toBeNull();
  });

  it('escalates mtime to checksum only when a changed file did not move forward in time', () => {
    expect(syncLevelFor('mtime', 0)).toBe('mtime');
    expect(syncLevelFor('mtime', 2)).toBe('checksum');
    expect(syncLevelFor('size', 2)).toBe('size');
  });

  it('maps a source path Globus reports back to the source directory', () => {
    expect(relPathOnSource('/export/bl7/d/e.txt', '/export/bl7')).toBe('d/e.txt');
    expect(relPathOnSource('/export/bl7/d/', '/export/bl7/')).toBe('d');
    expect(relPathOnSource('/export/bl7', '/export/bl7')).toBe('');
    expect(relPathOnSource('/export/bl70/x', '/export/bl7')).toBeNull();
  });
});
