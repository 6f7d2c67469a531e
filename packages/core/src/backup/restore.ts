import { join } from 'node:path';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { BACKUP_KINDS } from '../needs/registry.js';
import { checkParts } from './checksums.js';
import { quiet, type BackupContext } from './context.js';
import { createAppBackup, partsOf, type AppPartName } from './create.js';
import type { BackupPartName, TableRows } from './manifest.js';
import { appResourceName } from './mariadb.js';
import { clearRestoreIntent, interruptedRestores, writeRestoreIntent } from './restore-intent.js';

export { swapContents } from './swap.js';

export interface RestoreOptions {
  /** Restore into this app (its database, storage directory and vhost) instead of the backup's own. */
  into?: string;
  /** Which parts (default: every part of the backup). */
  parts?: readonly AppPartName[];
  /** Back up the target's current data first, so a restore of the wrong backup can be undone. */
  backupFirst?: boolean;
  progress?: Progress;
}

export interface RestoreResult {
  app: string;
  id: string;
  into: string;
  parts: BackupPartName[];
  tables: TableRows[];
  files?: number;
  /** The backup taken of the target just before (with backupFirst). */
  previous?: string;
}

/**
 * Restores an app's backup into the same app or another one. Every part's checksum is checked
 * first and a damaged backup is refused whole (MC_BACKUP_DAMAGED). Then each part is restored
 * by its need kind (needs/<kind>/backup.ts):
 * - database: the target's database is dropped and created again (grants on it survive), the
 *   dump streamed in through gunzip and `mariadb` in the server's container, and its tables
 *   and row counts checked against backup.json;
 * - storage: the archive is extracted beside the target directory and swapped in entry by
 *   entry, so the directory itself (which running containers bind-mount) stays the same;
 * - messagebus: the vhost's definitions are loaded (created if missing; they add to it).
 * Stop the app's writers first for a clean result; the restore does not pause the app.
 */
export async function restoreAppBackup(
  ctx: BackupContext,
  app: string,
  id: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const progress = options.progress ?? quiet;
  const into = options.into ?? app;
  appResourceName(into); // an invalid target name is refused before anything is read
  const entry = await ctx.store.get(app, id);
  progress(`checking the checksums of ${app}/${entry.id}`);
  await checkParts(entry.dir, entry.manifest);
  const wanted = entry.manifest.parts.filter(
    (p) => !options.parts || (options.parts as readonly string[]).includes(p.name),
  );
  if (options.parts) {
    const missing = options.parts.filter((name) => !entry.manifest.parts.some((p) => p.name === name));
    if (missing.length > 0)
      throw new MinicloudError('MC_BACKUP_NOT_FOUND', `backup ${app}/${entry.id} has no ${missing.join(', ')} part`);
  }
  const result: RestoreResult = { app, id: entry.id, into, parts: wanted.map((p) => p.name), tables: [] };

  if (options.backupFirst && (await ctx.apps.exists(into))) {
    progress(`backing up ${into} as it is now`);
    const parts = (await partsOf(ctx, into)).filter((p) => wanted.some((w) => w.name === p));
    if (parts.length > 0) result.previous = (await createAppBackup(ctx, into, { parts })).id;
  }

  // From the first part on, the target holds half a restore until the last is done: a process
  // that dies here leaves the intent, and the next one finishes the restore.
  const startedAt = (ctx.now?.() ?? new Date()).toISOString();
  // An app's backup has app parts only (config is a platform backup's).
  const parts = wanted.map((p) => p.name as AppPartName);
  await writeRestoreIntent(ctx.store.root, { app, id: entry.id, into, parts, startedAt });
  for (const part of wanted) {
    const kind = BACKUP_KINDS.find((k) => k.backup.part === part.name);
    if (!kind) continue;
    const scope = { ctx, app, id: entry.id, into, progress };
    const found = await kind.backup.restore(scope, part, join(entry.dir, part.file));
    if (found.tables) result.tables = found.tables;
    if (found.files !== undefined) result.files = found.files;
  }
  await clearRestoreIntent(ctx.store.root, into);
  return result;
}

/**
 * Finishes the restores a stopped API left (their intent still written): each is run again,
 * whole (a restore is idempotent), without a new backup first (the one taken before, if asked
 * for, exists). Resolves what was finished. One whose backup is gone (pruned, deleted) cannot
 * be finished, nor one into an app removed since: its intent goes, and it is resolved with `gone`
 * so the caller says so. Rejects
 * at the first that fails, to be called again.
 */
export async function finishInterruptedRestores(
  ctx: BackupContext,
  progress: Progress = quiet,
): Promise<{ into: string; app: string; id: string; gone?: boolean }[]> {
  const done: { into: string; app: string; id: string; gone?: boolean }[] = [];
  for (const intent of await interruptedRestores(ctx.store.root)) {
    const { app, id, into, parts } = intent;
    // An app removed since holds nothing to finish: its data is not made again.
    if (!(await ctx.apps.exists(into))) {
      await clearRestoreIntent(ctx.store.root, into);
      done.push({ into, app, id, gone: true });
      continue;
    }
    progress(`finishing the restore of ${app}/${id} into ${into} (started ${intent.startedAt}), which the API died in`);
    try {
      await restoreAppBackup(ctx, app, id, { into, parts, progress });
      done.push({ into, app, id });
    } catch (error) {
      if (!(error instanceof MinicloudError && error.code === 'MC_BACKUP_NOT_FOUND')) throw error;
      await clearRestoreIntent(ctx.store.root, into);
      done.push({ into, app, id, gone: true });
    }
  }
  return done;
}
