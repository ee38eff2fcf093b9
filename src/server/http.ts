import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What a handler answers; the server writes it, unless a fault replaces it. */
export interface Reply {
  status: number;
  /** JSON-serialised unless `contentType` says otherwise (then it must be a string). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });

export const html = (status: number, body: string): Reply => ({ status, body, contentType: 'text/html; charset=utf-8' });

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Transfer's request ids look like "7HgMVYazI": nine letters and digits. */
export function requestId(): string {
  const bytes = randomBytes(9);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

export const newUuid = (): string => randomUUID();

/** Transfer's error document: {code, message, request_id, resource}. */
export function transferError(status: number, code: string, message: string, resource: string, extra?: Record<string, unknown>): Reply {
  return json(status, { code, message, request_id: requestId(), resource, ...extra });
}

/** Task and event times: "2022-01-26T19:18:20+00:00" (whole seconds, explicit offset). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** ls and stat times: "2020-09-23 18:53:12+00:00". */
export function lsTime(ms: number): string {
  return isoSeconds(ms).replace('T', ' ');
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

