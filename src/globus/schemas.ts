import * as z from 'zod';

/**
 * Response documents, written from the recorded bodies in
 * test/fixtures/globus/. Loose objects: Globus adds keys over time and gsync
 * must not break when it does; only the fields gsync reads are required.
 */

const nullableString = z.string().nullable().optional();
const link = z.looseObject({ href: z.string() });
/** Markers are opaque; Transfer sends integers today. */
const marker = z.union([z.number(), z.string()]).nullable().optional();

// ---- Transfer: submissions -------------------------------------------------

export const submissionIdSchema = z.looseObject({
  // The recorded body omits DATA_TYPE; the JS SDK types it as 'submission_id'.
  DATA_TYPE: z.literal('submission_id').optional(),
  value: z.string().min(1),
});

export const SYNC_LEVEL_VALUES = ['exists', 'size', 'mtime', 'checksum'] as const;
export type SyncLevel = (typeof SYNC_LEVEL_VALUES)[number];
/**
 * The document carries sync_level as the integer the Transfer API defines
 * (0 exists, 1 size, 2 mtime, 3 checksum): the official SDK's TransferData
 * turns its string names into these before submitting, and so does gsync.
 */
export const SYNC_LEVEL_NUMBER: Record<SyncLevel, 0 | 1 | 2 | 3> = { exists: 0, size: 1, mtime: 2, checksum: 3 };

export const transferItemSchema = z.strictObject({
  DATA_TYPE: z.literal('transfer_item'),
  source_path: z.string().min(1),
  destination_path: z.string().min(1),
  recursive: z.boolean(),
});
export type TransferDocumentItem = z.infer<typeof transferItemSchema>;

/** The POST /transfer document gsync sends; also usable to validate one on the server side. */
export const transferDocumentSchema = z.strictObject({
  DATA_TYPE: z.literal('transfer'),
  submission_id: z.string().min(1),
  source_endpoint: z.string().min(1),
  destination_endpoint: z.string().min(1),
  DATA: z.array(transferItemSchema),
  label: z.string().max(128).optional(),
  sync_level: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  verify_checksum: z.boolean().optional(),
  preserve_timestamp: z.boolean().optional(),
  encrypt_data: z.boolean().optional(),
  notify_on_succeeded: z.boolean().optional(),
  notify_on_failed: z.boolean().optional(),
  notify_on_inactive: z.boolean().optional(),
  skip_source_errors: z.boolean().optional(),
  fail_on_quota_errors: z.boolean().optional(),
  /** ISO 8601 with offset, e.g. 2026-01-02T03:04:05+00:00. */
  deadline: z.string().optional(),
  /** Which entries recursive items leave out (task_submit filter_rules; the SDK's TransferData.add_filter_rule): a reconcile run's excludes. */
  filter_rules: z
    .array(z.strictObject({ DATA_TYPE: z.literal('filter_rule'), method: z.enum(['include', 'exclude']), name: z.string().min(1), type: z.enum(['file', 'dir']).optional() }))
    .optional(),
});
export type TransferDocument = z.infer<typeof transferDocumentSchema>;

/**
 * The POST /delete document gsync sends (Transfer task_submit, "Delete specific
 * fields"; globus-sdk-python DeleteData): `recursive` is one flag for the whole
 * document, required as soon as any item is a directory.
 */
export const deleteDocumentSchema = z.strictObject({
  DATA_TYPE: z.literal('delete'),
  submission_id: z.string().min(1),
  endpoint: z.string().min(1),
  DATA: z.array(z.strictObject({ DATA_TYPE: z.literal('delete_item'), path: z.string().min(1) })),
  recursive: z.boolean(),
  ignore_missing: z.boolean(),
  interpret_globs: z.boolean(),
  label: z.string().max(128).optional(),
  notify_on_succeeded: z.boolean().optional(),
  notify_on_failed: z.boolean().optional(),
  notify_on_inactive: z.boolean().optional(),
  deadline: z.string().optional(),
});
export type DeleteDocument = z.infer<typeof deleteDocumentSchema>;

const submitResult = {
  code: z.string(), // "Accepted" for a new task, "Duplicate" when the submission_id was seen before
  message: z.string(),
  request_id: z.string().optional(),
  resource: z.string().optional(),
  submission_id: z.string(),
  task_id: z.string().min(1),
  task_link: link.optional(),
};

export const transferResultSchema = z.looseObject({ DATA_TYPE: z.literal('transfer_result'), ...submitResult });
export type TransferResult = z.infer<typeof transferResultSchema>;

export const deleteResultSchema = z.looseObject({ DATA_TYPE: z.literal('delete_result'), ...submitResult });
export type DeleteResult = z.infer<typeof deleteResultSchema>;

// ---- Transfer: tasks -------------------------------------------------------

export const TASK_STATUSES = ['ACTIVE', 'INACTIVE', 'SUCCEEDED', 'FAILED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const taskSchema = z.looseObject({
  // Absent in some recordings (task_get_failed.json).
  DATA_TYPE: z.literal('task').optional(),
  task_id: z.string().min(1),
  type: z.string(),
  status: z.enum(TASK_STATUSES),
  label: nullableString,
  files: z.number().int(),
  files_transferred: z.number().int(),
  files_skipped: z.number().int(),
  directories: z.number().int().optional(),
  bytes_transferred: z.number(),
  faults: z.number().int(),
  subtasks_skipped_errors: z.number().int().optional(),
  /** task docs: "Detailed per-file status, errors, and information events are retained for 30 days and then deleted", and this flag is set. */
  history_deleted: z.boolean().optional(),
  nice_status: nullableString,
  nice_status_short_description: nullableString,
  is_ok: z.boolean().nullable().optional(),
  fatal_error: z.looseObject({ code: z.string(), description: z.string() }).nullable().optional(),
  request_time: z.string(),
  completion_time: nullableString,
  deadline: nullableString,
  source_endpoint_id: nullableString,
  destination_endpoint_id: nullableString,
  // An integer 0-3 in recordings; gsync does not read it back, so any form is accepted.
  sync_level: z.union([z.number(), z.string()]).nullable().optional(),
  skip_source_errors: z.boolean().optional(),
});
export type Task = z.infer<typeof taskSchema>;

export const taskListSchema = z.looseObject({
  DATA_TYPE: z.literal('task_list'),
  DATA: z.array(taskSchema),
  total: z.number().int().optional(),
  offset: z.number().int().optional(),
  limit: z.number().int().optional(),
});

export const taskEventListSchema = z.looseObject({
  DATA_TYPE: z.literal('event_list'),
  DATA: z.array(
    z.looseObject({
      DATA_TYPE: z.literal('event').optional(),
      code: z.string(),
      description: z.string(),
      details: nullableString,
      is_error: z.boolean(),
      time: z.string(),
    }),
  ),
});

/** The generic {code, message} result of cancel (DATA_TYPE "result"). */
export const resultSchema = z.looseObject({
  DATA_TYPE: z.literal('result').optional(),
  code: z.string(),
  message: z.string(),
  request_id: z.string().optional(),
});
export type CancelResult = z.infer<typeof resultSchema>;

export const successfulTransferSchema = z.looseObject({
  DATA_TYPE: z.literal('successful_transfer').optional(),
  source_path: z.string(),
  destination_path: z.string(),
});
export type SuccessfulTransfer = z.infer<typeof successfulTransferSchema>;

export const successfulTransfersPageSchema = z.looseObject({
  DATA_TYPE: z.literal('successful_transfers').optional(),
  marker,
  next_marker: marker,
  DATA: z.array(successfulTransferSchema),
});

export const skippedErrorSchema = z.looseObject({
  DATA_TYPE: z.literal('skipped_error').optional(),
  source_path: z.string(),
  destination_path: z.string(),
  error_code: z.string(),
  error_details: nullableString,
  error_time: z.string(),
  is_directory: z.boolean(),
  is_symlink: z.boolean(),
});
export type SkippedError = z.infer<typeof skippedErrorSchema>;

export const skippedErrorsPageSchema = z.looseObject({
  // The recorded body has no wrapper keys besides DATA; the paged form adds them.
  DATA_TYPE: z.literal('skipped_errors').optional(),
  marker,
  next_marker: marker,
  DATA: z.array(skippedErrorSchema),
});

// ---- Transfer: endpoints and filesystem operations --------------------------

export const endpointSchema = z.looseObject({
  DATA_TYPE: z.literal('endpoint'),
  id: z.string().min(1),
  display_name: nullableString,
  canonical_name: nullableString,
  /** GCSv5_mapped_collection, GCSv5_guest_collection, GCSv5_endpoint, GCP_mapped_collection, GCSv4_host, ... */
  entity_type: nullableString,
  /** GCSv5 endpoints (not collections) cannot be used for transfers; absent on GCP docs. */
  non_functional: z.boolean().optional(),
  high_assurance: z.boolean().optional(),
  gcs_version: nullableString,
  host_endpoint_id: nullableString,
  is_globus_connect: z.boolean().optional(),
  /** Globus Connect Personal only: whether the machine is online right now. */
  gcp_connected: z.boolean().nullable().optional(),
  gcp_paused: z.boolean().nullable().optional(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const endpointListSchema = z.looseObject({
  DATA_TYPE: z.literal('endpoint_list'),
  DATA: z.array(endpointSchema),
  has_next_page: z.boolean().optional(),
});
export type EndpointList = z.infer<typeof endpointListSchema>;

export const fileEntrySchema = z.looseObject({
  DATA_TYPE: z.literal('file').optional(),
  name: z.string(),
  /** "file", "dir", "invalid_symlink", ... */
  type: z.string(),
  size: z.number(),
  last_modified: nullableString,
  permissions: nullableString,
  link_target: nullableString,
});
export type FileEntry = z.infer<typeof fileEntrySchema>;

export const fileListSchema = z.looseObject({
  DATA_TYPE: z.literal('file_list'),
  DATA: z.array(fileEntrySchema),
  path: z.string(),
  endpoint: z.string().optional(),
  total: z.number().int().optional(),
  length: z.number().int().optional(),
});
export type FileList = z.infer<typeof fileListSchema>;

export const mkdirResultSchema = z.looseObject({
  DATA_TYPE: z.literal('mkdir_result'),
  code: z.string(), // "DirectoryCreated"
  message: z.string(),
  request_id: z.string().optional(),
});
export type MkdirResult = z.infer<typeof mkdirResultSchema>;

// ---- Error bodies ----------------------------------------------------------

export const transferErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  request_id: z.string().optional(),
  resource: z.string().optional(),
  required_scopes: z.array(z.string()).optional(),
  authorization_parameters: z.looseObject({ required_scopes: z.array(z.string()).optional() }).optional(),
});

/** OAuth {error, error_description} and/or JSON:API {errors: [...]}. */
export const authErrorSchema = z
  .looseObject({
    error: z.string().optional(),
    error_description: z.string().optional(),
    errors: z
      .array(z.looseObject({ code: z.string(), status: z.string().optional(), detail: z.string().nullable().optional(), title: z.string().optional(), id: z.string().optional() }))
      .optional(),
  })
  .refine((b) => b.error !== undefined || (b.errors?.length ?? 0) > 0, 'neither error nor errors[] present');
