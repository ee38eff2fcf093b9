import fs from 'node:fs/promises';
import path from 'node:path';
import { Collection, PathEscapeError } from './collections.js';
import { json, lsTime, requestId, transferError, type Reply } from './http.js';
import { parseFilters, parseOrderBy, type LsDoc } from './ls-query.js';
import { badRequest, consentCheck, endpointNotFound, type TransferContext, type TransferRequest } from './transfer-common.js';

/** Endpoints and file operations: endpoint document, ls, stat, mkdir. */
export function getEndpoint(ctx: TransferContext, req: TransferRequest): Reply {
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

export async function ls(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
  const asked = req.query.get('path') ?? '/~/';
  const target = operationTarget(ctx, req, asked);
  if ('status' in target) return target;
  const { c, local, normalized } = target;
  // ls_results.yaml: the listing echoes the path as asked ("/~/" stays "/~/"), ending in "/".
  const shown = asked.endsWith('/') ? asked : asked + '/';
  let names: string[];
  try {
    // Faults.denySource on a directory: its listing is refused as an unreadable one's is (the EACCES answer below).
    if (ctx.faults.sourceDenied(normalized)) throw Object.assign(new Error('permission denied (injected by the local server)'), { code: 'EACCES' });
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
  // operation_ls: limit "defaults to 100,000, which is also the maximum"; offset pages into the result.
  const limit = wholeNumber(req.query.get('limit'), MAX_LS_LIMIT);
  const offset = wholeNumber(req.query.get('offset'), 0);
  if (limit === null || limit < 1 || limit > MAX_LS_LIMIT) return badRequest(req, `limit must be a whole number from 1 to ${MAX_LS_LIMIT}`);
  if (offset === null) return badRequest(req, 'offset must be a whole number, 0 or more');
  const filter = parseFilters(req.query.getAll('filter'));
  if (typeof filter === 'string') return badRequest(req, filter);
  const order = parseOrderBy(req.query.get('orderby'));
  if (typeof order === 'string') return badRequest(req, order);
  // Filtering and ordering apply to the whole directory before paging, so every page is read whole (as Globus does: see operation_ls's note).
  const all: LsDoc[] = [];
  for (const n of names) {
    try {
      const doc = (await fileEntry(path.join(local, n), n)) as LsDoc;
      if (filter === null || filter(doc)) all.push(doc);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err; // vanished since readdir
    }
  }
  all.sort(order);
  const DATA = all.slice(offset, offset + limit);
  return json(200, { DATA, DATA_TYPE: 'file_list', absolute_path: null, endpoint: c.id, length: DATA.length, path: shown, rename_supported: true, symlink_supported: true, total: all.length });
}

const MAX_LS_LIMIT = 100_000;

/** A query parameter that must be a whole number 0 or more; null when it is not. */
function wholeNumber(raw: string | null, fallback: number): number | null {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export async function stat(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
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
export async function mkdir(ctx: TransferContext, req: TransferRequest): Promise<Reply> {
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
