import { json, requestId, transferError, type Reply } from './http.js';
import { TransferTask } from './task.js';
import { taskList as filteredTaskList } from './task-list.js';
import { badRequest, type TransferContext, type TransferRequest } from './transfer-common.js';

/** task: the task document, cancel, and its per-file lists and events. */
function findTask(ctx: TransferContext, req: TransferRequest): TransferTask | Reply {
  const id = req.segments[1]!;
  return ctx.tasks.get(id) ?? transferError(404, 'ClientError.NotFound', `Task ID '${id}' not found`, req.resource);
}

export function getTask(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  return t instanceof TransferTask ? json(200, t.document()) : t;
}

export function cancelTask(ctx: TransferContext, req: TransferRequest): Reply {
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

/**
 * The per-file lists exist only once a task has ended: Globus answers 400 before
 * that (globus-sdk-python issue 288: "Task '...' is still in progress, successful
 * transfers are not yet available"). The same is taken for skipped_errors, the stricter reading.
 */
function stillInProgress(req: TransferRequest, t: TransferTask, what: string): Reply | null {
  return t.done ? null : badRequest(req, `Task '${t.id}' is still in progress, ${what} are not yet available`);
}

export function successfulTransfers(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  const early = stillInProgress(req, t, 'successful transfers');
  if (early) return early;
  return page(ctx, req, 'successful_transfers', t.successful.map((s) => ({ DATA_TYPE: 'successful_transfer', source_path: s.source_path, destination_path: s.destination_path, size: s.size, checksum: s.checksum, checksum_algorithm: s.checksum === null ? null : 'MD5' })));
}

export function skippedErrors(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  const early = stillInProgress(req, t, 'skipped errors');
  if (early) return early;
  return page(ctx, req, 'skipped_errors', t.skipped);
}

function offsetLimit(req: TransferRequest, defaultLimit: number): { offset: number; limit: number } | Reply {
  const offset = Number(req.query.get('offset') ?? 0);
  const limit = Number(req.query.get('limit') ?? defaultLimit);
  if (!Number.isInteger(offset) || offset < 0) return badRequest(req, 'offset must be a whole number, 0 or more');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return badRequest(req, 'limit must be a whole number from 1 to 1000');
  return { offset, limit };
}

export function eventList(ctx: TransferContext, req: TransferRequest): Reply {
  const t = findTask(ctx, req);
  if (!(t instanceof TransferTask)) return t;
  const ol = offsetLimit(req, 10);
  if ('status' in ol) return ol;
  // globus-cli `task event-list --filter-errors` sends filter=is_error:1 (--filter-non-errors: is_error:0).
  const onlyErrors = /^is_error:([01])$/.exec(req.query.get('filter') ?? '')?.[1];
  const filter = req.query.get('filter');
  if (filter && onlyErrors === undefined) return badRequest(req, `filter must be is_error:1 or is_error:0, got '${filter}'`);
  const newestFirst = [...t.events].reverse().filter((e) => onlyErrors === undefined || e.is_error === (onlyErrors === '1'));
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

/** GET task_list: filters and ordering in task-list.ts. */
export function taskList(ctx: TransferContext, req: TransferRequest): Reply {
  const ol = offsetLimit(req, 1000);
  if ('status' in ol) return ol;
  return filteredTaskList(ctx, req, ol.offset, ol.limit);
}
