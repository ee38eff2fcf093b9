import path from 'node:path';
import * as z from 'zod';
import { excludesAsFilterRules, refusalLine } from './filter-rules.js';
import { labelTemplateProblem } from './label.js';

/** Globus ids are UUID-shaped but not always RFC 4122 versioned (test ids are not), so accept any hex UUID. */
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID such as 1405823f-0597-4a16-b296-46d4f0ae4b15');

const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => path.posix.isAbsolute(p), 'must be an absolute path (starting with /)');

export const SYNC_LEVELS = ['exists', 'size', 'mtime', 'checksum'] as const;

/** Where the scan takes the source's entries from (issue 29): this host's filesystem, or Globus listings of the source collection. */
export const SOURCE_LISTINGS = ['filesystem', 'globus'] as const;

const source = z
  .strictObject({
    collection: uuid,
    /** filesystem: the folder on this host; globus: the folder's path on the source collection (never read locally). */
    path: absolutePath,
    /** How `path` appears on the source collection; defaults to `path` itself. */
    collectionPath: absolutePath.optional(),
    listing: z.enum(SOURCE_LISTINGS).default('filesystem'),
    /** listing "globus": ls requests a second (Globus meters about 20 a second per user, shared with verify). */
    requestsPerSecond: z.number().positive('must be more than 0').max(20, 'must be at most 20: Globus meters about 20 requests a second per user').default(8),
    /** listing "globus": directory listings in flight at once. */
    concurrency: z.number().int().min(1, 'must be 1 or more').max(16).default(4),
  })
  .refine((s) => s.listing !== 'globus' || s.collectionPath === undefined || s.collectionPath === s.path, {
    path: ['collectionPath'],
    message: 'is not used with source.listing "globus": source.path is already the path on the source collection',
  });

const destination = z.strictObject({
  collection: uuid,
  path: absolutePath,
  /** The destination path's folder on this host, when it is one (a pull into a local collection): for file hooks, manifests and checks. */
  localPath: absolutePath.optional(),
});

const auth = z.strictObject({
  clientId: uuid,
  /** File holding a confidential client's secret; GLOBUS_CLIENT_SECRET takes precedence. */
  clientSecretFile: absolutePath.optional(),
  /** Where tokens are kept; default ~/.config/gsync/<name>.tokens.json. Never the state database. */
  tokenFile: absolutePath.optional(),
});

const transfer = z.strictObject({
  syncLevel: z.enum(SYNC_LEVELS).default('mtime'),
  verifyChecksum: z.boolean().default(true),
  preserveTimestamp: z.boolean().default(true),
  encryptData: z.boolean().default(false),
  /** {name}, {date} and {time} are filled in; the result is cleaned, cut to Globus's 128 characters and trimmed (config/label.ts). */
  label: z
    .string()
    .max(128, 'must be at most 128 characters')
    .superRefine((t, ctx) => {
      const problem = labelTemplateProblem(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default('gsync {name} {date} {time}'),
  notifyOnSucceeded: z.boolean().default(false),
  notifyOnFailed: z.boolean().default(true),
  notifyOnInactive: z.boolean().default(true),
  skipSourceErrors: z.boolean().default(true),
  failOnQuotaErrors: z.boolean().default(true),
  /** Seconds after submission at which Globus gives up on the task. */
  deadlineSeconds: z.number().int().positive().optional(),
  /**
   * Items per transfer document. Bounds the POST body and the run's memory; what
   * does not fit stays owed and goes with the next run.
   */
  maxItems: z.number().int().positive().max(1_000_000).default(50_000),
  /**
   * Globus works on 3 transfer tasks per user at a time and queues the rest
   * (task_behavior, Queuing). With this many of this job's tasks still open, a
   * run scans and records but submits nothing; the paths stay owed.
   */
  maxOpenTasks: z.number().int().positive().max(100).default(2),
});

const scan = z.strictObject({
  exclude: z.array(z.string().min(1, 'patterns must not be empty')).default([]),
  minAgeSeconds: z.number().int().min(0, 'must be 0 or more').default(60),
  /** Threads that walk the tree (src/scan/pool.ts); unset: one per core. 1 walks on the main thread alone. */
  threads: z.number().int().min(1, 'must be 1 or more').max(256).optional(),
});

/** Mirroring deletions (README "Deletions"): off unless asked for, and guarded when on. */
const deletes = z.strictObject({
  enabled: z.boolean().default(false),
  /** A run deletes at most this share of the shipped paths; more stops every delete of that run. */
  maxPercent: z.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100').default(10),
  /** An absolute cap on the paths one run deletes. */
  maxCount: z.number().int().min(0, 'must be 0 or more').optional(),
});

const state = z.strictObject({
  path: absolutePath.optional(),
});

const log = z.strictObject({
  file: absolutePath.optional(),
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

const metrics = z.strictObject({
  /** Prometheus textfile for node_exporter's textfile collector. */
  textfile: absolutePath.optional(),
});

const watch = z.strictObject({
  /** Full rescan interval: inotify sees nothing on NFS, Lustre or GPFS. */
  rescanIntervalSeconds: z.number().int().positive().default(3600),
});

/** `gsync verify` (issue 27): how hard it may lean on Globus while listing the destination. */
const verify = z.strictObject({
  /** Listing requests a second; Globus meters about 20 a second per user, so the default stays well under. */
  requestsPerSecond: z.number().positive('must be more than 0').max(20, 'must be at most 20: Globus meters about 20 requests a second per user').default(8),
  /** Directory listings in flight at once. */
  concurrency: z.number().int().min(1, 'must be 1 or more').max(16).default(4),
});

/**
 * Reconcile runs (issue 27): now and then a run also sends the whole source as
 * one recursive item and lets Globus compare both sides (README "Reconcile runs").
 */
const reconcile = z.strictObject({
  /** Due when the last reconcile task that SUCCEEDED was submitted this long ago; unset: only `gsync run --reconcile`. 168 is weekly. */
  intervalHours: z.number().positive('must be more than 0').optional(),
  /** Its sync_level; default transfer.syncLevel. checksum finds every difference, at the price of reading every file on both sides. */
  syncLevel: z.enum(SYNC_LEVELS).optional(),
});

/** An argv array: run directly, no shell unless the user writes one (["/bin/sh", "-c", "..."]). */
const argv = z.array(z.string().min(1, 'arguments must not be empty')).min(1, 'must name a program to run, e.g. ["/usr/local/bin/register", "--quiet"]');

const hooks = z
  .strictObject({
    /** Runs once per task that SUCCEEDED and delivered files, after its manifest is written. */
    onSucceeded: argv.optional(),
    /** Runs once per task and status when a task FAILED or went INACTIVE. */
    onFailed: argv.optional(),
    /** Where manifests go; default <state directory>/<name>.manifests. */
    manifestDir: absolutePath.optional(),
    /** How many manifests to keep; 0 writes none (only without onSucceeded, which needs one). */
    keepManifests: z.number().int().min(0, 'must be 0 or more').default(100),
    /** Runs once per file a SUCCEEDED task delivered (issue 29), with its paths in the environment. */
    onFile: argv.optional(),
    /** hooks.onFile processes running at once. */
    parallel: z.number().int().min(1, 'must be 1 or more').max(256).default(1),
    /** hooks.onFile attempts per file before it is given up (and reported). */
    maxAttempts: z.number().int().min(1, 'must be 1 or more').max(1000).default(5),
    /** A hook (a task's, or one file's) still running after this long has its process group killed and counts as failed. */
    timeoutSeconds: z.number().positive('must be more than 0').max(7 * 86400, 'must be at most a week (604800)').default(600),
  })
  .refine((h) => !(h.onSucceeded && h.keepManifests === 0), {
    path: ['keepManifests'],
    message: 'must be at least 1 while hooks.onSucceeded is set: the hook reads the manifest',
  });

export const configSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  source,
  destination,
  auth,
  state: state.default({}),
  transfer: transfer.default(() => transfer.parse({})),
  scan: scan.default(() => scan.parse({})),
  deletes: deletes.default(() => deletes.parse({})),
  log: log.default(() => log.parse({})),
  metrics: metrics.default({}),
  watch: watch.default(() => watch.parse({})),
  hooks: hooks.default(() => hooks.parse({})),
  verify: verify.default(() => verify.parse({})),
  reconcile: reconcile.default({}),
}).superRefine((c, ctx) => {
  // Only a job that reconciles needs its excludes as filter_rules; `gsync run --reconcile` checks the same (src/commands/run.ts).
  if (c.reconcile.intervalHours === undefined) return;
  const r = excludesAsFilterRules(c.scan.exclude);
  if ('refused' in r) ctx.addIssue({ code: 'custom', path: ['scan', 'exclude', c.scan.exclude.indexOf(r.refused)], message: refusalLine(r) });
});

export type ConfigInput = z.input<typeof configSchema>;
/** A validated config with every default filled in and derived paths resolved. */
export type Config = z.output<typeof configSchema> & {
  /** The file it was read from (absolute), or '<inline>'. */
  file: string;
  source: z.output<typeof source> & { collectionPath: string };
  state: { path: string };
  auth: z.output<typeof auth> & { tokenFile: string };
  hooks: z.output<typeof hooks> & { manifestDir: string };
};
