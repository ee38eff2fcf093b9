import { PathEscapeError } from './collections.js';
import { DeleteTask } from './delete-task.js';
import { newUuid, transferError, type Reply } from './http.js';
import { MAX_LABEL } from './submission.js';
import { submitResult, type TransferContext, type TransferRequest } from './transfer-common.js';

// eslint-disable-next-line no-control-regex
const LABEL_FORBIDDEN = /[\u0000-\u001f\u007f]/;
const BOOLEANS = ['recursive', 'ignore_missing', 'interpret_globs', 'notify_on_succeeded', 'notify_on_failed', 'notify_on_inactive', 'skip_activation_check'] as const;

/**
 * POST /delete (https://docs.globus.org/api/transfer/task_submit/#delete_specific_fields; the document
 * globus-sdk-python's DeleteData builds): DATA_TYPE "delete", an `endpoint`,
 * DATA of `delete_item` documents each with a `path`, and document-wide
 * booleans `recursive`, `ignore_missing`, `interpret_globs` (all default false).
 * The answer is delete_submit.json: 202 "Accepted" with a delete_result, and a
 * repeated submission_id gets 200 "Duplicate" with the first task, as transfers do.
 * Stricter than the service where the docs leave room: interpret_globs true is
 * refused, since this server does not expand patterns and must never delete
 * more than a literal path.
 */
export async function submitDelete(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  const bad = (message: string) => transferError(400, 'ClientError.BadRequest', message, req.resource);
  let body: unknown;
  try {
    body = await req.body();
  } catch {
    return bad('the request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('the request body must be a JSON object');
  const d = body as Record<string, unknown>;
  if (d.DATA_TYPE !== 'delete') return bad(`DATA_TYPE must be "delete", got ${JSON.stringify(d.DATA_TYPE ?? null)}`);
  for (const f of ['submission_id', 'endpoint'] as const) {
    if (typeof d[f] !== 'string' || (d[f] as string).length === 0) return bad(`${f} is required and must be a string`);
  }
  for (const f of BOOLEANS) if (d[f] !== undefined && typeof d[f] !== 'boolean') return bad(`${f} must be true or false`);
  if (d.interpret_globs === true) return bad('interpret_globs is not supported by the local server');
  if (!Array.isArray(d.DATA)) return bad('DATA is required and must be a list of delete_item documents');
  if (d.DATA.length === 0) return transferError(400, 'ClientError.BadRequest.NoDeleteItems', 'A delete requires at least one item', req.resource);
  const paths: string[] = [];
  for (const [i, raw] of d.DATA.entries()) {
    const it = (raw ?? {}) as Record<string, unknown>;
    if (it.DATA_TYPE !== 'delete_item') return bad(`DATA[${i}].DATA_TYPE must be "delete_item", got ${JSON.stringify(it.DATA_TYPE ?? null)}`);
    if (typeof it.path !== 'string' || !(it.path.startsWith('/') || it.path.startsWith('~'))) return bad(`DATA[${i}].path is required and must be an absolute path`);
    paths.push(it.path);
  }
  let label: string | null = null;
  if (d.label !== undefined && d.label !== null) {
    if (typeof d.label !== 'string' || [...d.label].length > MAX_LABEL || LABEL_FORBIDDEN.test(d.label)) {
      return bad(`label must be a string of at most ${MAX_LABEL} characters without control characters`);
    }
    label = d.label;
  }
  let deadline = Date.now() + ctx.opts.defaultDeadlineSeconds * 1000;
  if (d.deadline !== undefined && d.deadline !== null) {
    const ms = typeof d.deadline === 'string' ? Date.parse(d.deadline.replace(' ', 'T')) : NaN;
    if (Number.isNaN(ms) || ms <= Date.now()) return bad(`deadline must be an ISO 8601 date-time in the future, got ${JSON.stringify(d.deadline)}`);
    deadline = ms;
  }
  const submission = d.submission_id as string;
  if (!ctx.submissionIds.has(submission)) return bad(`submission_id '${submission}' was not issued by GET /submission_id`);
  const earlier = ctx.bySubmission.get(submission);
  if (earlier) return submitResult('delete_result', 200, 'Duplicate', `A delete with id '${submission}' was already submitted`, submission, earlier.id, req.resource);

  const endpointId = d.endpoint as string;
  const c = ctx.collections.get(endpointId);
  if (!c) return transferError(404, 'EndpointNotFound', `No such endpoint with id '${endpointId}'`, req.resource);
  if (c.nonFunctional) return bad(`'${c.id}' is a GCSv5 endpoint, not a collection; deletes need a collection`);
  for (const [i, p] of paths.entries()) {
    try {
      c.resolve(p);
    } catch (err) {
      if (err instanceof PathEscapeError) return bad(`DATA[${i}]: ${err.message}`);
      throw err;
    }
  }
  const task = new DeleteTask(
    newUuid(),
    submission,
    c,
    paths,
    { label, recursive: d.recursive === true, ignoreMissing: d.ignore_missing === true, deadline },
    Date.now(),
    ctx.ownerId,
    ctx.faults.takeTaskOutcome(),
  );
  ctx.bySubmission.set(submission, task);
  ctx.tasks.start(task);
  return submitResult('delete_result', 202, 'Accepted', 'The delete has been accepted and a task has been created and queued for execution', submission, task.id, req.resource);
}
