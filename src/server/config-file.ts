import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { configError } from '../errors/errors.js';
import type { TaskOutcomeFault } from './faults.js';
import type { GlobusServerOptions } from './options.js';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');

const action = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('status'),
    status: z.number().int().min(400).max(599),
    retryAfterSeconds: z.number().int().min(0).optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('reset') }),
  z.strictObject({ type: z.literal('delay'), ms: z.number().int().min(0) }),
]);

const outcome = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fail'), code: z.string().optional(), description: z.string().optional() }),
  z.strictObject({ type: z.literal('faulty'), code: z.string().optional(), description: z.string().optional(), recoverAfter: z.number().int().min(0).optional() }),
  z.strictObject({ type: z.literal('inactive'), code: z.string().optional(), description: z.string().optional() }),
]);

const schema = z.strictObject({
  port: z.number().int().min(0).max(65535).optional(),
  collections: z
    .array(
      z.strictObject({
        id: uuid,
        /** Relative paths are relative to the config file's folder. */
        root: z.string().min(1),
        kind: z.enum(['mapped', 'guest', 'endpoint', 'gcp']).optional(),
        displayName: z.string().optional(),
        requireConsent: z.boolean().optional(),
        highAssurance: z.boolean().optional(),
        mine: z.boolean().optional(),
      }),
    )
    .default([]),
  clients: z.array(z.strictObject({ id: z.string().min(1), secret: z.string().min(1).optional() })).default([]),
  tokenTtlSeconds: z.number().int().positive().optional(),
  rotateRefreshTokens: z.boolean().optional(),
  taskStartDelayMs: z.number().int().min(0).optional(),
  taskDelayMs: z.number().int().min(0).optional(),
  faultRetryMs: z.number().int().min(1).optional(),
  defaultDeadlineSeconds: z.number().int().positive().optional(),
  pageSize: z.number().int().positive().optional(),
  mtimePrecision: z.enum(['second', 'exact']).optional(),
  requestsPerSecond: z.number().int().positive().optional(),
  /** Path rules match when the request path contains the string. */
  faults: z
    .array(z.strictObject({ action, path: z.string().optional(), method: z.string().optional(), count: z.number().int().positive().optional(), after: z.boolean().optional() }))
    .default([]),
  /** Outcomes for the next tasks, in order. */
  nextTasks: z.array(outcome).default([]),
  /** Collections answering ConsentRequired to tokens without their data_access scope. */
  consentRequired: z.array(uuid).default([]),
});

export type ServerConfigFile = z.input<typeof schema>;

export interface LoadedServerConfig {
  options: GlobusServerOptions;
  nextTasks: TaskOutcomeFault[];
  consentRequired: string[];
}

/** Reads a --server-config file; a bad one is a config error naming the key to fix. */
export function loadServerConfig(file: string): LoadedServerConfig {
  const abs = path.resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(abs, 'utf8'));
  } catch (err) {
    throw configError(`server config ${abs}: ${(err as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw configError(`server config ${abs}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const { nextTasks, consentRequired, collections, ...rest } = r.data;
  const dir = path.dirname(abs);
  return {
    options: { ...rest, collections: collections.map((c) => ({ ...c, root: path.resolve(dir, c.root) })) },
    nextTasks,
    consentRequired,
  };
}
