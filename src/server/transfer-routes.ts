import { endpointSearch } from './endpoint-search.js';
import { getEndpoint, ls, mkdir, stat } from './transfer-operations.js';
import { submissionId, submitDelete, submitTransfer } from './transfer-submit.js';
import { cancelTask, eventList, getTask, skippedErrors, successfulTransfers, taskList } from './transfer-tasks.js';
import type { Handler } from './transfer-common.js';

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
  if (method === 'GET' && n === 1 && a === 'endpoint_search') return endpointSearch;
  if (a === 'operation' && b === 'endpoint' && n === 4 && d !== undefined) {
    if (method === 'GET' && d === 'ls') return ls;
    if (method === 'GET' && d === 'stat') return stat;
    if (method === 'POST' && d === 'mkdir') return mkdir;
  }
  return undefined;
}

