import type { Config } from '../config/schema.js';
import { SYNC_LEVEL_NUMBER, type TransferDocument } from '../globus/schemas.js';
import type { TransferItem } from '../plan/coalescer.js';
import { renderLabel } from '../config/label.js';
import { taskOptionFields } from '../globus/task-options.js';

/** The one transfer a run submits: every option comes from the config, none is left to Globus's defaults. */
export function buildTransferDocument(
  config: Config,
  submissionId: string,
  items: readonly TransferItem[],
  at: Date,
  syncLevel: Config['transfer']['syncLevel'] = config.transfer.syncLevel,
): TransferDocument {
  const t = config.transfer;
  return {
    DATA_TYPE: 'transfer',
    submission_id: submissionId,
    source_endpoint: config.source.collection,
    destination_endpoint: config.destination.collection,
    label: renderLabel(t.label, config.name, at),
    sync_level: SYNC_LEVEL_NUMBER[syncLevel],
    verify_checksum: t.verifyChecksum,
    preserve_timestamp: t.preserveTimestamp,
    encrypt_data: t.encryptData,
    ...taskOptionFields(t, at),
    skip_source_errors: t.skipSourceErrors,
    fail_on_quota_errors: t.failOnQuotaErrors,
    DATA: items.map((i) => ({
      DATA_TYPE: 'transfer_item' as const,
      source_path: i.source_path,
      destination_path: i.destination_path,
      recursive: i.recursive,
    })),
  };
}

/**
 * sync_level "mtime" would skip a changed file whose mtime did not move
 * forward (cp -p, tar x, a restore from backup), and gsync would then record
 * a version as shipped that never reached the destination. Such a plan goes
 * with "checksum", which compares contents; only that task pays for it.
 */
export function syncLevelFor(configured: Config['transfer']['syncLevel'], mtimeNotNewer: number): Config['transfer']['syncLevel'] {
  return configured === 'mtime' && mtimeNotNewer > 0 ? 'checksum' : configured;
}
