import { parseFilterRules } from './filter-rules.js';
import type { TaskItem, TaskOptions } from './task.js';

const SYNC_LEVELS: Record<string, 0 | 1 | 2 | 3> = { exists: 0, size: 1, mtime: 2, checksum: 3 };
const TRANSFER_BOOLEANS = [
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
const DELETE_BOOLEANS = ['recursive', 'ignore_missing', 'interpret_globs', 'notify_on_succeeded', 'notify_on_failed', 'notify_on_inactive', 'skip_activation_check'] as const;

export const MAX_LABEL = 128;
/**
 * task_submit, label: "The maximum length is 128 characters. Newline
 * characters (\r or \n) and trailing or leading whitespace are not allowed."
 * Only CR and LF are named, so a TAB inside a label is accepted (issue 28, 11).
 */
const LABEL_FORBIDDEN = /[\r\n]/;
/** task_submit, delete: with interpret_globs, shell glob characters in the last path part form a pattern. */
const GLOB_CHARS = /(?<!\\)[*?[\]]/;

/** What a transfer and a delete document have in common: checked by one function for both. */
export interface CommonFields {
  submissionId: string;
  label: string | null;
  /** Milliseconds; null for the default deadline. */
  deadline: number | null;
}

export interface ValidTransfer extends CommonFields {
  kind: 'transfer';
  sourceEndpoint: string;
  destinationEndpoint: string;
  items: TaskItem[];
  options: Omit<TaskOptions, 'deadline' | 'label'>;
}

export interface ValidDelete extends CommonFields {
  kind: 'delete';
  endpoint: string;
  paths: string[];
  recursive: boolean;
  ignoreMissing: boolean;
}

/** A rejection: Transfer's error code and the message naming what to fix. */
export interface Rejection {
  code: string;
  message: string;
}

export function isRejection<T extends object>(v: T | Rejection): v is Rejection {
  return 'code' in v && 'message' in v && !('kind' in v);
}

const bad = (message: string): Rejection => ({ code: 'ClientError.BadRequest', message });

/** DATA_TYPE, submission_id, label and deadline: the rules every task document meets, whatever its kind. */
function commonFields(body: unknown, dataType: 'transfer' | 'delete', endpointFields: readonly string[]): (CommonFields & { d: Record<string, unknown> }) | Rejection {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('the request body must be a JSON object');
  const d = body as Record<string, unknown>;
  if (d.DATA_TYPE !== dataType) return bad(`DATA_TYPE must be "${dataType}", got ${JSON.stringify(d.DATA_TYPE ?? null)}`);
  for (const f of ['submission_id', ...endpointFields]) {
    if (typeof d[f] !== 'string' || (d[f] as string).length === 0) return bad(`${f} is required and must be a string`);
  }
  let label: string | null = null;
  if (d.label !== undefined && d.label !== null) {
    if (typeof d.label !== 'string') return bad('label must be a string');
    if ([...d.label].length > MAX_LABEL) return bad(`label must be at most ${MAX_LABEL} characters, got ${[...d.label].length}`);
    if (LABEL_FORBIDDEN.test(d.label)) return bad('label must not contain newline characters (\\r or \\n)');
    if (d.label !== d.label.trim()) return bad('label must not have leading or trailing whitespace');
    label = d.label;
  }
  let deadline: number | null = null;
  if (d.deadline !== undefined && d.deadline !== null) {
    const ms = typeof d.deadline === 'string' ? Date.parse(d.deadline.replace(' ', 'T')) : NaN;
    if (Number.isNaN(ms)) return bad(`deadline must be an ISO 8601 date-time, got ${JSON.stringify(d.deadline)}`);
    if (ms <= Date.now()) return bad('deadline must be in the future');
    deadline = ms;
  }
  return { d, submissionId: d.submission_id as string, label, deadline };
}

function booleans(d: Record<string, unknown>, fields: readonly string[]): Rejection | undefined {
  for (const f of fields) if (d[f] !== undefined && typeof d[f] !== 'boolean') return bad(`${f} must be true or false`);
  return undefined;
}

const isAbsolute = (p: unknown): p is string => typeof p === 'string' && (p.startsWith('/') || p.startsWith('~'));

/** Validates a POST /transfer document the way Transfer does, field by field. */
export function validateTransfer(body: unknown): ValidTransfer | Rejection {
  const c = commonFields(body, 'transfer', ['source_endpoint', 'destination_endpoint']);
  if (isRejection(c)) return c;
  const { d, ...common } = c;
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
      if (!isAbsolute(p)) return bad(`DATA[${i}].${f} must be an absolute path, got "${p}"`);
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
  const wrongFlag = booleans(d, TRANSFER_BOOLEANS);
  if (wrongFlag) return wrongFlag;

  const filterRules = parseFilterRules(d.filter_rules);
  if (typeof filterRules === 'string') return bad(filterRules);

  const flag = (f: (typeof TRANSFER_BOOLEANS)[number]) => d[f] === true;
  return {
    kind: 'transfer',
    ...common,
    sourceEndpoint: d.source_endpoint as string,
    destinationEndpoint: d.destination_endpoint as string,
    items,
    options: {
      syncLevel,
      verifyChecksum: flag('verify_checksum'),
      preserveTimestamp: flag('preserve_timestamp'),
      encryptData: flag('encrypt_data'),
      skipSourceErrors: flag('skip_source_errors'),
      failOnQuotaErrors: flag('fail_on_quota_errors'),
      deleteDestinationExtra: flag('delete_destination_extra'),
      filterRules,
    },
  };
}

/**
 * POST /delete (task_submit, delete-specific fields; the document globus-sdk-python's
 * DeleteData builds): DATA_TYPE "delete", an `endpoint`, DATA of `delete_item`
 * documents each with a `path`, and document-wide booleans `recursive`,
 * `ignore_missing`, `interpret_globs`. With interpret_globs, Globus expands glob
 * characters in the last path part, and a backslash escapes one; this server does
 * not expand patterns (it must never delete more than a literal path), so it accepts
 * interpret_globs where the last part has no unescaped glob character, as `globus rm`
 * sends for a plain path, and refuses a real pattern.
 */
export function validateDelete(body: unknown): ValidDelete | Rejection {
  const c = commonFields(body, 'delete', ['endpoint']);
  if (isRejection(c)) return c;
  const { d, ...common } = c;
  const wrongFlag = booleans(d, DELETE_BOOLEANS);
  if (wrongFlag) return wrongFlag;
  if (!Array.isArray(d.DATA)) return bad('DATA is required and must be a list of delete_item documents');
  if (d.DATA.length === 0) return { code: 'ClientError.BadRequest.NoDeleteItems', message: 'A delete requires at least one item' };
  const paths: string[] = [];
  for (const [i, raw] of d.DATA.entries()) {
    const it = (raw ?? {}) as Record<string, unknown>;
    if (it.DATA_TYPE !== 'delete_item') return bad(`DATA[${i}].DATA_TYPE must be "delete_item", got ${JSON.stringify(it.DATA_TYPE ?? null)}`);
    if (!isAbsolute(it.path)) return bad(`DATA[${i}].path is required and must be an absolute path`);
    let p = it.path;
    if (d.interpret_globs === true) {
      const cut = p.replace(/\/+$/, '').lastIndexOf('/') + 1;
      const last = p.slice(cut);
      if (GLOB_CHARS.test(last)) return bad(`DATA[${i}].path "${p}": glob patterns are not expanded by the local server; name the path literally (or escape the glob characters with \\)`);
      p = p.slice(0, cut) + last.replace(/\\(.)/g, '$1');
    }
    paths.push(p);
  }
  return { kind: 'delete', ...common, endpoint: d.endpoint as string, paths, recursive: d.recursive === true, ignoreMissing: d.ignore_missing === true };
}
