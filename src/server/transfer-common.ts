import type { Collection, CollectionRegistry } from './collections.js';
import type { Faults } from './faults.js';
import { json, requestId, transferError, type Reply } from './http.js';
import type { ResolvedOptions } from './options.js';
import { dataAccessScopeFor, hasDataAccess } from './scopes.js';
import type { TransferTask } from './task.js';
import type { TaskRegistry } from './tasks.js';

/** What every Transfer route works with, and the shared answers (errors, consent and session checks). */
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

export type Handler = (ctx: TransferContext, req: TransferRequest) => Promise<Reply> | Reply;

export const badRequest = (req: TransferRequest, message: string) => transferError(400, 'ClientError.BadRequest', message, req.resource);

export function endpointNotFound(req: TransferRequest, id: string): Reply {
  return transferError(404, 'EndpointNotFound', `No such endpoint with id '${id}'`, req.resource);
}

/**
 * Access checks on a collection, in the order globus-cli gives them weight:
 * a consent first (error_consent_required.json: 403 naming the Transfer scope
 * with the collection's data_access dependency), then a session policy the
 * login does not meet (403 AuthPolicyFailed with authorization_parameters
 * carrying session_required_*, as Globus Auth requirements errors do).
 */
export function consentCheck(ctx: TransferContext, req: TransferRequest, c: Collection): Reply | undefined {
  return consentRequired(ctx, req, c) ?? sessionRequired(ctx, req, c);
}

function sessionRequired(ctx: TransferContext, req: TransferRequest, c: Collection): Reply | undefined {
  const policy = ctx.faults.sessionPolicyFor(c.id);
  if (!policy) return undefined;
  const message = `Access to collection ${c.id} requires a login session that meets its authentication policy`;
  return json(403, {
    authorization_parameters: { session_message: message, session_required_policies: [], session_required_identities: [], session_required_single_domain: [], ...policy },
    code: 'AuthPolicyFailed',
    message,
    request_id: requestId(),
    resource: req.resource,
  });
}

function consentRequired(ctx: TransferContext, req: TransferRequest, c: Collection): Reply | undefined {
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


/**
 * The answer to POST /transfer and POST /delete, as recorded in transfer_submit.json and
 * delete_submit.json: the same keys, DATA_TYPE transfer_result or delete_result.
 * "Accepted" comes with 202; a "Duplicate" with 200. The link's href is relative, as in the
 * recorded submit_delete_queued.yaml (globus-cli).
 */
export function submitResult(
  dataType: 'transfer_result' | 'delete_result',
  status: number,
  code: string,
  message: string,
  submission: string,
  taskId: string,
  resource: string,
): Reply {
  return json(status, {
    DATA_TYPE: dataType,
    code,
    message,
    request_id: requestId(),
    resource,
    submission_id: submission,
    task_id: taskId,
    task_link: { DATA_TYPE: 'link', href: `task/${taskId}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
  });
}
