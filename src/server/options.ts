import type { FaultRule } from './faults.js';

/**
 * mapped: GCSv5 mapped collection (the kind that may need a data_access consent);
 * guest: GCSv5 guest collection; endpoint: a GCSv5 endpoint, which is
 * non_functional (transfers to it are refused); gcp: Globus Connect Personal.
 */
export type CollectionKind = 'mapped' | 'guest' | 'endpoint' | 'gcp';

export interface CollectionSpec {
  id: string;
  /** Local folder that collection path "/" maps onto. */
  root: string;
  kind?: CollectionKind;
  displayName?: string;
  /** Answer ConsentRequired unless the token carries this collection's data_access dependency. */
  requireConsent?: boolean;
  highAssurance?: boolean;
  /** Owned by the (one) user the server knows: listed by endpoint_search's my-endpoints scope. */
  mine?: boolean;
}

export interface ClientSpec {
  id: string;
  /** A confidential client (client-credentials grant, HTTP Basic auth); none for a native app. */
  secret?: string;
}

export interface GlobusServerOptions {
  /** 0 (default) picks a free port. Always bound to 127.0.0.1. */
  port?: number;
  collections?: CollectionSpec[];
  /** Extra clients; the built-in demo clients are always registered. */
  clients?: ClientSpec[];
  /** Lifetime of issued access tokens (Globus: 172800). */
  tokenTtlSeconds?: number;
  /** Issue a new refresh token on each refresh and invalidate the old one. */
  rotateRefreshTokens?: boolean;
  /** How long a task sits ACTIVE before it starts copying. */
  taskStartDelayMs?: number;
  /** How long a task stays ACTIVE after copying before it SUCCEEDS, so tests can change files mid-task. */
  taskDelayMs?: number;
  /** Pause between retries of a faulting task (each retry counts one fault). */
  faultRetryMs?: number;
  /** Deadline of tasks submitted without one (Globus: one day). */
  defaultDeadlineSeconds?: number;
  /** Items per page of successful_transfers and skipped_errors. */
  pageSize?: number;
  /**
   * sync_level=mtime compares whole seconds, as Globus does (GridFTP MDTM and
   * preserved timestamps carry no fractions); 'exact' compares milliseconds.
   */
  mtimePrecision?: 'second' | 'exact';
  /** Answer Transfer requests beyond this many a second with 429 (off when unset), as Globus meters a user. */
  requestsPerSecond?: number;
  /** Fault rules active from the start (the standalone command's --server-config uses this). */
  faults?: FaultRule[];
}

/** Native-app client built into the server, for `gsync demo` and quick trials: put it in auth.clientId. */
export const DEMO_CLIENT_ID = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e001';
/** Confidential client built into the server, for the client-credentials grant (GLOBUS_CLIENT_ID/SECRET). */
export const DEMO_SERVICE_CLIENT_ID = '5e1f0c3a-7d2b-4c6e-9a8f-0d15c0a1e002';
export const DEMO_SERVICE_CLIENT_SECRET = 'local-demo-secret';
/** The variables that make gsync use that confidential client: add them to the server's `env`. */
export const DEMO_SERVICE_ACCOUNT_ENV = { GLOBUS_CLIENT_ID: DEMO_SERVICE_CLIENT_ID, GLOBUS_CLIENT_SECRET: DEMO_SERVICE_CLIENT_SECRET };

export interface ResolvedOptions {
  port: number;
  tokenTtlSeconds: number;
  rotateRefreshTokens: boolean;
  taskStartDelayMs: number;
  taskDelayMs: number;
  faultRetryMs: number;
  defaultDeadlineSeconds: number;
  pageSize: number;
  mtimePrecision: 'second' | 'exact';
  requestsPerSecond: number | undefined;
}

export function resolveOptions(o: GlobusServerOptions): ResolvedOptions {
  return {
    port: o.port ?? 0,
    tokenTtlSeconds: o.tokenTtlSeconds ?? 172_800,
    rotateRefreshTokens: o.rotateRefreshTokens ?? false,
    taskStartDelayMs: o.taskStartDelayMs ?? 0,
    taskDelayMs: o.taskDelayMs ?? 0,
    faultRetryMs: o.faultRetryMs ?? 250,
    defaultDeadlineSeconds: o.defaultDeadlineSeconds ?? 86_400,
    pageSize: o.pageSize ?? 1000,
    mtimePrecision: o.mtimePrecision ?? 'second',
    requestsPerSecond: o.requestsPerSecond,
  };
}
