import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as transferSchemas from '../src/globus/schemas.js';
import * as authSchemas from '../src/globus/auth-schemas.js';

const s = { ...transferSchemas, ...authSchemas };
import { FIXTURES, fixture } from './globus-stub-server.js';

/** Which schema reads each recorded body (see SOURCES.md in the fixtures folder). */
const SCHEMA_FOR: Record<string, z.ZodType> = {
  'submission_id.json': s.submissionIdSchema,
  'transfer_submit.json': s.transferResultSchema,
  'transfer_submit_error_no_items.json': s.transferErrorSchema,
  'delete_submit.json': s.deleteResultSchema,
  'delete_submit_recorded.json': s.deleteResultSchema,
  'task_get_delete_queued.json': s.taskSchema,
  'task_get_delete_succeeded.json': s.taskSchema,
  'operation_ls_home.json': s.fileListSchema,
  'task_cancel.json': s.resultSchema,
  'task_get_succeeded.json': s.taskSchema,
  'task_get_active.json': s.taskSchema,
  'task_get_failed.json': s.taskSchema,
  'task_list.json': s.taskListSchema,
  'task_event_list.json': s.taskEventListSchema,
  'successful_transfers.json': s.successfulTransfersPageSchema,
  'skipped_errors.json': s.skippedErrorsPageSchema,
  'endpoint_get_gcsv4_host_legacy.json': s.endpointSchema,
  'endpoint_get_gcp_mapped.json': s.endpointSchema,
  'endpoint_get_gcsv5_endpoint.json': s.endpointSchema,
  'endpoint_get_guest.json': s.endpointSchema,
  'endpoint_get_mapped.json': s.endpointSchema,
  'endpoint_search.json': s.endpointListSchema,
  'operation_ls.json': s.fileListSchema,
  'operation_ls_empty.json': s.fileListSchema,
  'operation_stat.json': s.fileEntrySchema,
  'operation_mkdir.json': s.mkdirResultSchema,
  'error_not_found_stat.json': s.transferErrorSchema,
  'error_endpoint_permission_denied_stat.json': s.transferErrorSchema,
  'error_consent_required.json': s.transferErrorSchema,
  'error_authentication_failed.json': s.transferErrorSchema,
  'error_external_gcp_disconnected.json': s.transferErrorSchema,
  'token_exchange.json': s.tokenResponseSchema,
  'token_exchange_offline_with_other_tokens.json': s.tokenResponseSchema,
  'token_client_credentials.json': s.tokenResponseSchema,
  'token_refresh.json': s.tokenResponseSchema,
  'token_revoke.json': s.revokeResultSchema,
  'token_error_invalid_grant.json': s.authErrorSchema,
  'auth_error_unauthorized.json': s.authErrorSchema,
  'auth_error_unexpected_500.json': s.authErrorSchema,
};

const files = fs.readdirSync(fileURLToPath(FIXTURES)).filter((f) => f.endsWith('.json')).sort();

describe('every recorded Globus body parses with the schema for its endpoint', () => {
  it('has a schema for every fixture file', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.filter((f) => !(f in SCHEMA_FOR))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const schema = SCHEMA_FOR[file];
    expect(schema, `no schema for ${file}`).toBeDefined();
    const result = schema!.safeParse(fixture(file));
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });
});

describe('schemas require what gsync reads', () => {
  it('keeps unknown keys rather than failing on them', () => {
    const task = s.taskSchema.parse({ ...(fixture('task_get_succeeded.json') as object), brand_new_field: 1 });
    expect((task as Record<string, unknown>).brand_new_field).toBe(1);
    expect(task.status).toBe('SUCCEEDED');
  });

  it('rejects a task without a status or with an unknown one', () => {
    const { status: _drop, ...noStatus } = fixture('task_get_active.json') as Record<string, unknown>;
    expect(s.taskSchema.safeParse(noStatus).success).toBe(false);
    expect(s.taskSchema.safeParse({ ...noStatus, status: 'PAUSED' }).success).toBe(false);
  });

  it('reads the failed task fatal_error and counters', () => {
    const task = s.taskSchema.parse(fixture('task_get_failed.json'));
    expect(task.fatal_error).toEqual({ code: 'FILE_NOT_FOUND', description: 'file not found' });
    expect([task.files, task.files_transferred, task.faults]).toEqual([1, 0, 1]);
  });

  it('defaults other_tokens to an empty list and allows a null refresh_token', () => {
    const { other_tokens: _o, ...bare } = fixture('token_exchange.json') as Record<string, unknown>;
    const parsed = s.tokenResponseSchema.parse({ ...bare, refresh_token: null });
    expect(parsed.other_tokens).toEqual([]);
    expect(parsed.refresh_token).toBeNull();
  });

  it('accepts a well-formed transfer document and refuses a wrong DATA_TYPE or long label', () => {
    const doc = {
      DATA_TYPE: 'transfer',
      submission_id: 'x',
      source_endpoint: 'a',
      destination_endpoint: 'b',
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/s', destination_path: '/d', recursive: false }],
      sync_level: 2,
    };
    expect(s.transferDocumentSchema.safeParse(doc).success).toBe(true);
    expect(s.transferDocumentSchema.safeParse({ ...doc, DATA_TYPE: 'delete' }).success).toBe(false);
    expect(s.transferDocumentSchema.safeParse({ ...doc, label: 'x'.repeat(129) }).success).toBe(false);
    // An integer, as the SDK sends it: the string names are the SDK's, not the API's.
    expect(s.transferDocumentSchema.safeParse({ ...doc, sync_level: 'mtime' }).success).toBe(false);
    expect(s.transferDocumentSchema.safeParse({ ...doc, sync_level: 4 }).success).toBe(false);
  });
});
