import fs from 'node:fs/promises';
import path from 'node:path';
import { Collection, PathEscapeError, type CollectionRegistry } from './collections.js';
import type { Faults } from './faults.js';
import { json, lsTime, newUuid, requestId, transferError, type Reply } from './http.js';
import type { ResolvedOptions } from './options.js';
import { dataAccessScopeFor, hasDataAccess } from './scopes.js';
import { isRejection, validateSubmission } from './submission.js';
import { TransferTask } from './task.js';
import { submitDelete } from './delete-routes.js';
import type { TaskRegistry } from './tasks.js';

export interface TransferContext {
  collections: CollectionRegistry;
  faults: Faults;
  tasks: TaskRegistry;
  opts: ResolvedOptions;
  ownerId: string;
  /** Ids handed out by GET submission_id, and the task each one created. */
  submissionIds: Set<string>;
  bySubmission: Map<string, TransferTask>;
}

export interface TransferRequest {
  method: string;
  /** The full request path, e.g. "/v0.10/transfer"; it is the `resource` of error documents. */
  resource: string;
  /** Path segments after "/v0.10/". */
  segments: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
  /** Scopes of the caller's (already verified) token. */
  scope: string;
}

type Handler = (ctx: TransferContext, req: TransferRequest) => Promise<Reply> | Reply;

/** Route on the segments after /v0.10/; undefined when nothing matches. */
export function transferRoute(method: string, segments: string[]): Handler | undefined {
  const [a, b, c, d] = segments;
  const n = segments.length;
  if (method === 'GET' && n === 1 && a === 'submission_id') return submissionId;
  if (method === 'POST' && n === 1 && a === 'transfer') return submitTransfer;
  if (method === 'POST' && n === 1 && a === 'delete') return submitDelete;
  if (method === 'GET' && n === 1 && a === 'task_list') return taskList;
  if (a === 'task' && n === 2 && method === 'GET') return getTask;
  if (a === 'task' && n === 3 && method === 'POST' && c === 'cancel') return cancelTask;
  if (a === 'task' && n === 3 && method === 'GET' && c === 'successful_transfers') return successfulTransfers;
  if (a === 'task' && n === 3 && method === 'GET' && c === 'skipped_errors') return skippedErrors;
  if (a === 'task' && n === 3 && method === 'GET' && c === 'event_list') return eventList;
  if (a === 'endpoint' && n === 2 && method === 'GET') return getEndpoint;
  if (a === 'operation' && b === 'endpoint' && n === 4 && d !== undefined) {
    if (method === 'GET' && d === 'ls') return ls;
    if (method === 'GET' && d === 'stat') return stat;
    if (method === 'POST' && d === 'mkdir') return mkdir;
  }
  return undefined;
}

const badRequest = (req: TransferRequest, message: string) => transferError(400, 'ClientError.BadRequest', message, req.resource);

function endpointNotFound(req: TransferRequest, id: string): Reply {
  return transferError(404, 'EndpointNotFound', `No such endpoint with id '${id}'`, req.resource);
}

/** error_consent_required.json: 403 naming the Transfer scope with the collection's data_access dependency. */
function consentCheck(ctx: TransferContext, req: TransferRequest, c: Collection): Reply | undefined {
  if (!(c.requireConsent || ctx.faults.consentRequiredFor(c.id))) return undefined;
  if (hasDataAccess(req.scope, c.id)) return undefined;
  const scopes = [dataAccessScopeFor(c.id)];
  const message = 'Missing required data_access consent';
  return json(403, {
    authorization_parameters: { required_scopes: scopes, session_message: message },
    code: 'ConsentRequired',
    message,
    request_id: requestId(),
    required_scopes: scopes,
    resource: req.resource,
  });
}

function submissionId(ctx: TransferContext): Reply {
  const value = newUuid();
  ctx.submissionIds.add(value);
  // The recording omits DATA_TYPE; the live service (and the JS SDK's type) include it.
  return json(200, { DATA_TYPE: 'submission_id', value });
}

async function submitTransfer(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  let body: unknown;
  try {
    body = await req.body();
  } catch {
    return badRequest(req, 'the request body is not valid JSON');
  }
  const v = validateSubmission(body);
  if (isRejection(v)) return transferError(400, v.code, v.message, req.resource);
  if (!ctx.submissionIds.has(v.submissionId)) return badRequest(req, `submission_id '${v.submissionId}' was not issued by GET /submission_id`);

  const earlier = ctx.bySubmission.get(v.submissionId);
  if (earlier) return submitResult(200, 'Duplicate', `A transfer with id '${v.submissionId}' was already submitted`, v.submissionId, earlier.id, req.resource);

  const src = ctx.collections.get(v.sourceEndpoint);
  if (!src) return endpointNotFound(req, v.sourceEndpoint);
  const dst = ctx.collections.get(v.destinationEndpoint);
  if (!dst) return endpointNotFound(req, v.destinationEndpoint);
  for (const c of [src, dst]) {
    if (c.nonFunctional) return badRequest(req, `'${c.id}' is a GCSv5 endpoint, not a collection; transfers need a collection`);
  }
  for (const c of [src, dst]) {
    const denied = consentCheck(ctx, req, c);
    if (denied) return denied;
  }
  for (const [i, it] of v.items.entries()) {
    try {
      src.resolve(it.source_path);
      dst.resolve(it.destination_path);
    } catch (err) {
      if (err instanceof PathEscapeError) return badRequest(req, `DATA[${i}]: ${err.message}`);
      throw err;
    }
  }

  const now = Date.now();
  const task = new TransferTask(
    newUuid(),
    v.submissionId,
    src,
    dst,
    v.items,
    { ...v.options, deadline: v.options.deadline ?? now + ctx.opts.defaultDeadlineSeconds * 1000 },
    now,
    ctx.ownerId,
    ctx.faults.takeTaskOutcome(),
  );
  ctx.bySubmission.set(v.submissionId, task);
  ctx.tasks.start(task);
  return submitResult(202, 'Accepted', 'The transfer has been accepted and a task has been created and queued for execution', v.submissionId, task.id, req.resource);
}

/** transfer_submit.json. "Accepted" comes with 202; a "Duplicate" with 200. */
function submitResult(status: number, code: string, message: string, submission: string, taskId: string, resource: string): Reply {
  return json(status, {
    DATA_TYPE: 'transfer_result',
    code,
    message,
    request_id: requestId(),
    resource,
    submission_id: submission,
    task_id: taskId,
    task_link: { DATA_TYPE: 'link', href: `/v0.10/task/${taskId}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
  });
}

function findTask(ctx: TransferContext, req: TransferRequest): TransferTask | Reply {
  const id = req.segments[1]!;
  return ctx.tasks.get(id) ?? transferError(404, 'ClientError.NotFound', `Task ID '${id}' not found`, req.resource);
}

function getTask(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  return t instanceof TransferTask ? json(200, t.document()) : t;
}

function cancelTask(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  const result = (code: string, message: string) => json(200, { DATA_TYPE: 'result', code, message, resource: req.resource, request_id: requestId() });
  if (t.done) return result('TaskComplete', "Can't cancel a task that has already completed");
  t.abort.abort(new Error('canceled'));
  t.subtasksCanceled++;
  t.finish('FAILED', { code: 'CANCELED', description: 'canceled' });
  return result('Canceled', 'The task has been cancelled successfully.');
}

/** Marker paging: the marker is an offset; next_marker is null on the last page. */
function page<T>(ctx: TransferContext, req: TransferRequest, dataType: string, all: T[]): Reply {
  const raw = req.query.get('marker');
  const marker = raw === null || raw === '' ? 0 : Number(raw);
  if (!Number.isInteger(marker) || marker < 0) return badRequest(req, `marker must be a marker returned as next_marker, got '${raw}'`);
  const DATA = all.slice(marker, marker + ctx.opts.pageSize);
  const end = marker + DATA.length;
  return json(200, { DATA_TYPE: dataType, marker, next_marker: end < all.length ? end : null, DATA });
}

function successfulTransfers(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  return page(ctx, req, 'successful_transfers', t.successful.map((s) => ({ DATA_TYPE: 'successful_transfer', ...s })));
}

function skippedErrors(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  return page(ctx, req, 'skipped_errors', t.skipped);
}

function offsetLimit(req: TransferRequest, defaultLimit: number): { offset: number; limit: number } | Reply {
  const offset = Number(req.query.get('offset') ?? 0);
  const limit = Number(req.query.get('limit') ?? defaultLimit);
  if (!Number.isInteger(offset) || offset < 0) return badRequest(req, 'offset must be a whole number, 0 or more');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return badRequest(req, 'limit must be a whole number from 1 to 1000');
  return { offset, limit };
}

function eventList(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  const ol = offsetLimit(req, 10);
  if ('status' in ol) return ol;
  const newestFirst = [...t.events].reverse();
  const DATA = newestFirst.slice(ol.offset, ol.offset + ol.limit).map((e) => ({
    DATA_TYPE: 'event',
    code: e.code,
    description: e.description,
    details: e.details,
    is_error: e.is_error,
    time: new Date(Math.floor(e.time / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
  }));
  return json(200, { DATA_TYPE: 'event_list', length: DATA.length, limit: ol.limit, offset: ol.offset, total: newestFirst.length, DATA });
}

/** Newest first; supports the filter "status:ACTIVE,INACTIVE" (other filters are ignored). */
function taskList(ctx: TransferContext, req: TransferRequest): Reply {
  const ol = offsetLimit(req, 1000);
  if ('status' in ol) return ol;
  const wanted = /(?:^|\/)status:([A-Z,]+)/.exec(req.query.get('filter') ?? '')?.[1]?.split(',');
  const all = ctx.tasks
    .list()
    .filter((t) => !wanted || wanted.includes(t.status))
    .reverse();
  const DATA = all.slice(ol.offset, ol.offset + ol.limit).map((t) => {
    // Entries of task_list.json carry no DATA_TYPE of their own.
    const { DATA_TYPE: _omit, ...doc } = t.document();
    return doc;
  });
  return json(200, { DATA, DATA_TYPE: 'task_list', length: DATA.length, limit: ol.limit, offset: ol.offset, total: all.length });
}

function getEndpoint(ctx: TransferContext, req: TransferRequest): Reply {
  const id = req.segments[1]!;
  const c = ctx.collections.get(id);
  return c ? json(200, c.endpointDocument()) : endpointNotFound(req, id);
}

/** The collection and local path of an operation/endpoint/<id>/... request, or the error answer. */
function operationTarget(ctx: TransferContext, req: TransferRequest, collectionPath: string): { c: Collection; local: string; normalized: string } | Reply {
  const id = req.segments[2]!;
  const c = ctx.collections.get(id);
  if (!c) return endpointNotFound(req, id);
  const denied = consentCheck(ctx, req, c);
  if (denied) return denied;
  try {
    return { c, local: c.resolve(collectionPath), normalized: Collection.normalize(collectionPath) };
  } catch (err) {
    if (!(err instanceof PathEscapeError)) throw err;
    return transferError(403, 'EndpointPermissionDenied', `Denied by endpoint, ${err.message}`, req.resource);
  }
}

/** Globus's multi-line endpoint error message; the first line is what clients show. */
function endpointMessage(summary: string, op: string, c: Collection, p: string, reason: string): string {
  return `${summary}, Error (${op})\nEndpoint: ${c.displayName} (${c.id})\nServer: 127.0.0.1\nFile: ${p}\nMessage: ${reason}`;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? '';
}

async function fileEntry(local: string, name: string): Promise<Record<string, unknown>> {
  const l = await fs.lstat(local);
  let s = l;
  let type = l.isDirectory() ? 'dir' : l.isFile() ? 'file' : 'other';
  let linkTarget: string | null = null;
  if (l.isSymbolicLink()) {
    linkTarget = await fs.readlink(local);
    try {
      s = await fs.stat(local);
      type = s.isDirectory() ? 'dir' : 'file';
    } catch {
      type = 'invalid_symlink';
    }
  }
  const isLink = linkTarget !== null;
  return {
    DATA_TYPE: 'file',
    group: String(s.gid),
    last_modified: lsTime(s.mtimeMs),
    link_group: isLink ? String(l.gid) : null,
    link_last_modified: isLink ? lsTime(l.mtimeMs) : null,
    link_size: isLink ? l.size : null,
    link_target: linkTarget,
    link_user: isLink ? String(l.uid) : null,
    name,
    permissions: (s.mode & 0o7777).toString(8).padStart(4, '0'),
    size: s.size,
    type,
    user: String(s.uid),
  };
}

async function ls(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  const target = operationTarget(ctx, req, req.query.get('path') ?? '/~/');
  if ('status' in target) return target;
  const { c, local, normalized } = target;
  const shown = normalized.endsWith('/') ? normalized : normalized + '/';
  let names: string[];
  try {
    const st = await fs.stat(local);
    if (!st.isDirectory()) {
      return transferError(502, 'ExternalError.DirListingFailed.NotDirectory', endpointMessage('Not a directory', 'list', c, shown, `'${normalized}' is not a directory`), req.resource);
    }
    names = (await fs.readdir(local)).sort();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return transferError(404, 'ClientError.NotFound', endpointMessage(`Directory '${shown}' not found on endpoint`, 'list', c, shown, 'No such file or directory'), req.resource);
    if (errnoOf(err) === 'EACCES') return transferError(403, 'EndpointPermissionDenied', endpointMessage('Denied by endpoint', 'list', c, shown, 'Permission denied'), req.resource);
    throw err;
  }
  const hidden = req.query.get('show_hidden');
  if (hidden === '0' || hidden === 'false') names = names.filter((n) => !n.startsWith('.'));
  const total = names.length;
  const offset = Number(req.query.get('offset') ?? 0) || 0;
  const limit = Number(req.query.get('limit') ?? 100_000) || 100_000;
  const DATA: Record<string, unknown>[] = [];
  for (const n of names.slice(offset, offset + limit)) {
    try {
      DATA.push(await fileEntry(path.join(local, n), n));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err; // vanished since readdir
    }
  }
  return json(200, { DATA, DATA_TYPE: 'file_list', absolute_path: null, endpoint: c.id, length: DATA.length, path: shown, rename_supported: true, symlink_supported: true, total });
}

async function stat(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  const p = req.query.get('path');
  if (!p) return badRequest(req, 'path is required');
  const target = operationTarget(ctx, req, p);
  if ('status' in target) return target;
  const { c, local, normalized } = target;
  try {
    return json(200, await fileEntry(local, path.posix.basename(normalized) || '/'));
  } catch (err) {
    // error_not_found_stat.json: stat says "NotFound", where ls says "ClientError.NotFound".
    if (errnoOf(err) === 'ENOENT') return transferError(404, 'NotFound', endpointMessage('Path not found', 'list', c, normalized, 'No such file or directory'), req.resource);
    if (errnoOf(err) === 'EACCES') return transferError(403, 'EndpointPermissionDenied', endpointMessage('Denied by endpoint', 'list', c, normalized, 'Permission denied'), req.resource);
    throw err;
  }
}

/** Not recursive, like GridFTP's MKD: the parent must exist. */
async function mkdir(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  let body: unknown;
  try {
    body = await req.body();
  } catch {
    return badRequest(req, 'the request body is not valid JSON');
  }
  const b = (body ?? {}) as Record<string, unknown>;
  if (b.DATA_TYPE !== 'mkdir') return badRequest(req, `DATA_TYPE must be "mkdir", got ${JSON.stringify(b.DATA_TYPE ?? null)}`);
  if (typeof b.path !== 'string' || b.path === '') return badRequest(req, 'path is required');
  const target = operationTarget(ctx, req, b.path);
  if ('status' in target) return target;
  const { c, local, normalized } = target;
  try {
    await fs.mkdir(local);
  } catch (err) {
    const e = errnoOf(err);
    if (e === 'EEXIST') return transferError(502, 'ExternalError.MkdirFailed.Exists', endpointMessage('Path already exists', 'mkdir', c, normalized, 'File exists'), req.resource);
    if (e === 'ENOENT') return transferError(502, 'ExternalError.MkdirFailed.NotFound', endpointMessage('Parent directory not found', 'mkdir', c, normalized, 'No such file or directory'), req.resource);
    if (e === 'EACCES' || e === 'EPERM') return transferError(403, 'ExternalError.MkdirFailed.PermissionDenied', endpointMessage('Permission denied', 'mkdir', c, normalized, 'Permission denied'), req.resource);
    throw err;
  }
  // Recorded with the SDK's default 200; the live service's status is not on record, and clients accept any 2xx.
  return json(202, { DATA_TYPE: 'mkdir_result', code: 'DirectoryCreated', message: 'The directory was created successfully', request_id: requestId(), resource: req.resource });
}
