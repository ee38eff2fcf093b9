import type { Config } from '../config/schema.js';
import type { DeleteDocument } from '../globus/schemas.js';
import { renderLabel } from '../config/label.js';
import { taskOptionFields } from '../globus/task-options.js';

/**
 * The one delete task a run submits (Transfer task_submit, delete document).
 * `recursive` is a document-wide flag in the API (DeleteData: "If any of the
 * paths are directories, recursive must be set True"), so it is on exactly when
 * an item is a directory. `ignore_missing`: a path already gone at the
 * destination is what we want, not an error. `interpret_globs` off: a name
 * holding * ? [ ] is a name, never a pattern.
 */
export function buildDeleteDocument(
  config: Config,
  submissionId: string,
  items: ReadonlyArray<{ path: string; shippedKind: 'f' | 'd' }>,
  at: Date,
): DeleteDocument {
  const t = config.transfer;
  return {
    DATA_TYPE: 'delete',
    submission_id: submissionId,
    endpoint: config.destination.collection,
    label: renderLabel(`${t.label} (deletes)`, config.name, at),
    recursive: items.some((i) => i.shippedKind === 'd'),
    ignore_missing: true,
    interpret_globs: false,
    ...taskOptionFields(t, at),
    DATA: items.map((i) => ({ DATA_TYPE: 'delete_item' as const, path: i.path })),
  };
}
