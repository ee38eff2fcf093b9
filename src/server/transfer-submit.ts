import { PathEscapeError, type Collection } from './collections.js';
import { DeleteTask } from './delete-task.js';
import { json, newUuid, transferError, type Reply } from './http.js';
import { isRejection, validateDelete, validateTransfer, type CommonFields, type Rejection } from './submission.js';
import { TransferTask } from './task.js';
import { badRequest, consentCheck, endpointNotFound, submitResult, type TransferContext, type TransferRequest } from './transfer-common.js';

/** task_submit: GET submission_id. */
export function submissionId(ctx: TransferContext): Reply {
  const value = newUuid();
  ctx.submissionIds.add(value);
  // The recording omits DATA_TYPE; the live service (and the JS SDK's type) include it.
  return json(200, { DATA_TYPE: 'submission_id', value });
}

/** What one kind of task submission hands the shared acceptance: its collections, its paths, and how its task is made. */
interface Submission {
  kind: 'transfer' | 'delete';
  fields: CommonFields;
  endpointIds: string[];
  /** [index into endpointIds, path] for every path the task will touch. */
  paths: Array<[number, string]>;
  create(id: string, collections: Collection[], deadline: number, now: number): TransferTask;
}

/**
 * The one acceptance every task submission goes through, transfer or delete, so a rule
 * cannot hold for one kind and not the other: the body is parsed and validated (labels,
 * deadline: submission.ts), the submission_id must have been issued, a repeat answers
 * 200 "Duplicate" with the first task, every collection must exist and be a collection,
 * consent and session policy are checked on each, paths must stay inside, and the task
 * is queued with its kind's slots (tasks.ts).
 */
async function accept(ctx: TransferContext, req: TransferRequest, validate: (body: unknown) => Submission | Rejection): Promise<Reply> {
  let body: unknown;
  try {
    body = await req.body();
  } catch {
    return badRequest(req, 'the request body is not valid JSON');
  }
  const s = validate(body);
  if (isRejection(s)) return transferError(400, s.code, s.message, req.resource);
  const { submissionId: submission, deadline } = s.fields;
  const resultType = s.kind === 'transfer' ? 'transfer_result' : 'delete_result';
  if (!ctx.submissionIds.has(submission)) return badRequest(req, `submission_id '${submission}' was not issued by GET /submission_id`);
  const earlier = ctx.bySubmission.get(submission);
  if (earlier) return submitResult(resultType, 200, 'Duplicate', `A ${s.kind} with id '${submission}' was already submitted`, submission, earlier.id, req.resource);

  const collections: Collection[] = [];
  for (const id of s.endpointIds) {
    const c = ctx.collections.get(id);
    if (!c) return endpointNotFound(req, id);
    collections.push(c);
  }
  for (const c of collections) {
    if (c.nonFunctional) return badRequest(req, `'${c.id}' is a GCSv5 endpoint, not a collection; ${s.kind}s need a collection`);
  }
  for (const c of collections) {
    const denied = consentCheck(ctx, req, c);
    if (denied) return denied;
  }
  for (const [which, p] of s.paths) {
    try {
      collections[which]!.resolve(p);
    } catch (err) {
      if (err instanceof PathEscapeError) return badRequest(req, `${p}: ${err.message}`);
      throw err;
    }
  }
  const now = Date.now();
  const task = s.create(newUuid(), collections, deadline ?? now + ctx.opts.defaultDeadlineSeconds * 1000, now);
  ctx.bySubmission.set(submission, task);
  ctx.tasks.start(task);
  return submitResult(resultType, 202, 'Accepted', `The ${s.kind} has been accepted and a task has been created and queued for execution`, submission, task.id, req.resource);
}

/** POST /transfer. */
export function submitTransfer(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  return accept(ctx, req, (body) => {
    const v = validateTransfer(body);
    if (isRejection(v)) return v;
    return {
      kind: 'transfer',
      fields: v,
      endpointIds: [v.sourceEndpoint, v.destinationEndpoint],
      paths: v.items.flatMap((it): Array<[number, string]> => [[0, it.source_path], [1, it.destination_path]]),
      create: (id, [src, dst], deadline, now) =>
        new TransferTask(id, v.submissionId, src!, dst!, v.items, { ...v.options, label: v.label, deadline }, now, ctx.ownerId, ctx.faults.takeTaskOutcome(), (p) =>
          ctx.faults.sourceDenied(p),
        ),
    };
  });
}

/** POST /delete: the answer is delete_submit.json, 202 "Accepted" with a delete_result. */
export function submitDelete(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  return accept(ctx, req, (body) => {
    const v = validateDelete(body);
    if (isRejection(v)) return v;
    return {
      kind: 'delete',
      fields: v,
      endpointIds: [v.endpoint],
      paths: v.paths.map((p): [number, string] => [0, p]),
      create: (id, [endpoint], deadline, now) =>
        new DeleteTask(id, v.submissionId, endpoint!, v.paths, { label: v.label, recursive: v.recursive, ignoreMissing: v.ignoreMissing, deadline }, now, ctx.ownerId, ctx.faults.takeTaskOutcome()),
    };
  });
}
