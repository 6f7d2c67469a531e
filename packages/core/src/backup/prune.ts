import { planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
import type { BackupStore } from './store.js';

/** Folders without backup.json older than this are interrupted backups, not running ones. */
export const INCOMPLETE_GRACE_MS = 24 * 3_600_000;

export interface PruneResult {
  plan: RetentionPlan;
  /** Interrupted backups removed. */
  incomplete: string[];
}

/**
 * Applies the retention policy to one app's backups in `store`: deletes exactly what
 * planRetention says (only complete backups are counted or deleted) and the folders of
 * backups interrupted more than a day ago.
 */
export async function pruneBackups(
  store: BackupStore,
  app: string,
  policy: RetentionPolicy,
  now: Date,
  options: { dryRun?: boolean } = {},
): Promise<PruneResult> {
  const scan = await store.scan(app);
  const plan = planRetention(scan.complete, policy);
  const before = new Date(now.getTime() - INCOMPLETE_GRACE_MS);
  if (options.dryRun) {
    return { plan, incomplete: scan.incomplete.filter((f) => f.time < before).map((f) => f.id) };
  }
  for (const id of plan.delete) await store.remove(app, id);
  return { plan, incomplete: await store.removeIncomplete(app, before) };
}
