import { PathEscapeError } from './collections.js';
import { json, newUuid, transferError, type Reply } from './http.js';
import { isRejection, validateSubmission } from './submission.js';
import { TransferTask } from './task.js';
import { badRequest, consentCheck, endpointNotFound, submitResult, type TransferContext, type TransferRequest } from './transfer-common.js';

/** task_submit: GET submission_id and POST transfer. */
export function submissionId(ctx: TransferContext): Reply {
  const value = newUuid();
  ctx.submissionIds.add(value);
  // The recording omits DATA_TYPE; the live service (and the JS SDK's type) include it.
  return json(200, { DATA_TYPE: 'submission_id', value });
}

export async function submitTransfer(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
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
  if (earlier) return submitResult('transfer_result', 200, 'Duplicate', `A transfer with id '${v.submissionId}' was already submitted`, v.submissionId, earlier.id, req.resource);

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
    (p) => ctx.faults.sourceDenied(p),
  );
  ctx.bySubmission.set(v.submissionId, task);
  ctx.tasks.start(task);
  return submitResult('transfer_result', 202, 'Accepted', 'The transfer has been accepted and a task has been created and queued for execution', v.submissionId, task.id, req.resource);
}

