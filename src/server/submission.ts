import { parseFilterRules } from './filter-rules.js';
import type { TaskItem, TaskOptions } from './task.js';

const SYNC_LEVELS: Record<string, 0 | 1 | 2 | 3> = { exists: 0, size: 1, mtime: 2, checksum: 3 };
const BOOLEAN_FIELDS = [
  'verify_checksum',
  'preserve_timestamp',
  'encrypt_data',
  'notify_on_succeeded',
  'notify_on_failed',
  'notify_on_inactive',
  'skip_source_errors',
  'fail_on_quota_errors',
  'delete_destination_extra',
] as const;

export const MAX_LABEL = 128;
/**
 * task_submit, label: "The maximum length is 128 characters. Newline
 * characters (\r or \n) and trailing or leading whitespace are not allowed."
 * This server refuses every control character (tabs, NUL...) too, the stricter
 * reading, so gsync never depends on one getting through.
 */
const LABEL_FORBIDDEN = /[\u0000-\u001f\u007f]/;

export interface ValidSubmission {
  submissionId: string;
  sourceEndpoint: string;
  destinationEndpoint: string;
  items: TaskItem[];
  options: Omit<TaskOptions, 'deadline'> & { deadline: number | null };
}

/** A rejection: Transfer's error code and the message naming what to fix. */
export interface Rejection {
  code: string;
  message: string;
}

/** Validates a POST /transfer document the way Transfer does, field by field. */
export function validateSubmission(body: unknown): ValidSubmission | Rejection {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('the request body must be a JSON object');
  const d = body as Record<string, unknown>;
  if (d.DATA_TYPE !== 'transfer') return bad(`DATA_TYPE must be "transfer", got ${JSON.stringify(d.DATA_TYPE ?? null)}`);
  for (const f of ['submission_id', 'source_endpoint', 'destination_endpoint'] as const) {
    if (typeof d[f] !== 'string' || (d[f] as string).length === 0) return bad(`${f} is required and must be a string`);
  }
  if (!Array.isArray(d.DATA)) return bad('DATA is required and must be a list of transfer_item documents');
  if (d.DATA.length === 0) return { code: 'ClientError.BadRequest.NoTransferItems', message: 'A transfer requires at least one item' };

  const items: TaskItem[] = [];
  for (const [i, raw] of d.DATA.entries()) {
    if (raw === null || typeof raw !== 'object') return bad(`DATA[${i}] must be a transfer_item document`);
    const it = raw as Record<string, unknown>;
    if (it.DATA_TYPE !== 'transfer_item') return bad(`DATA[${i}].DATA_TYPE must be "transfer_item", got ${JSON.stringify(it.DATA_TYPE ?? null)}`);
    for (const f of ['source_path', 'destination_path'] as const) {
      const p = it[f];
      if (typeof p !== 'string' || p.length === 0) return bad(`DATA[${i}].${f} is required`);
      if (!p.startsWith('/') && !p.startsWith('~')) return bad(`DATA[${i}].${f} must be an absolute path, got "${p}"`);
    }
    if (it.recursive !== undefined && it.recursive !== null && typeof it.recursive !== 'boolean') return bad(`DATA[${i}].recursive must be true or false`);
    items.push({ source_path: it.source_path as string, destination_path: it.destination_path as string, recursive: it.recursive === true });
  }

  let syncLevel: 0 | 1 | 2 | 3 | null = null;
  if (d.sync_level !== undefined && d.sync_level !== null) {
    if (typeof d.sync_level === 'string' && d.sync_level in SYNC_LEVELS) syncLevel = SYNC_LEVELS[d.sync_level]!;
    else if (typeof d.sync_level === 'number' && [0, 1, 2, 3].includes(d.sync_level)) syncLevel = d.sync_level as 0 | 1 | 2 | 3;
    else return bad(`sync_level must be one of exists, size, mtime, checksum (or 0-3), got ${JSON.stringify(d.sync_level)}`);
  }

  let label: string | null = null;
  if (d.label !== undefined && d.label !== null) {
    if (typeof d.label !== 'string') return bad('label must be a string');
    if ([...d.label].length > MAX_LABEL) return bad(`label must be at most ${MAX_LABEL} characters, got ${[...d.label].length}`);
    if (LABEL_FORBIDDEN.test(d.label)) return bad('label must not contain control characters such as newlines or tabs');
    if (d.label !== d.label.trim()) return bad('label must not have leading or trailing whitespace');
    label = d.label;
  }

  for (const f of BOOLEAN_FIELDS) {
    if (d[f] !== undefined && typeof d[f] !== 'boolean') return bad(`${f} must be true or false`);
  }

  let deadline: number | null = null;
  if (d.deadline !== undefined && d.deadline !== null) {
    const ms = typeof d.deadline === 'string' ? Date.parse(d.deadline.replace(' ', 'T')) : NaN;
    if (Number.isNaN(ms)) return bad(`deadline must be an ISO 8601 date-time, got ${JSON.stringify(d.deadline)}`);
    if (ms <= Date.now()) return bad('deadline must be in the future');
    deadline = ms;
  }

  const filterRules = parseFilterRules(d.filter_rules);
  if (typeof filterRules === 'string') return bad(filterRules);

  const flag = (f: (typeof BOOLEAN_FIELDS)[number], dflt: boolean) => (typeof d[f] === 'boolean' ? (d[f] as boolean) : dflt);
  return {
    submissionId: d.submission_id as string,
    sourceEndpoint: d.source_endpoint as string,
    destinationEndpoint: d.destination_endpoint as string,
    items,
    options: {
      label,
      syncLevel,
      verifyChecksum: flag('verify_checksum', false),
      preserveTimestamp: flag('preserve_timestamp', false),
      encryptData: flag('encrypt_data', false),
      skipSourceErrors: flag('skip_source_errors', false),
      failOnQuotaErrors: flag('fail_on_quota_errors', false),
      deleteDestinationExtra: flag('delete_destination_extra', false),
      filterRules,
      deadline,
    },
  };
}

export function isRejection(v: ValidSubmission | Rejection): v is Rejection {
  return 'code' in v;
}

const bad = (message: string): Rejection => ({ code: 'ClientError.BadRequest', message });
