import { join } from 'node:path';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { BACKUP_KINDS } from '../needs/registry.js';
import { checkParts } from './checksums.js';
import { quiet, type BackupContext } from './context.js';
import { createAppBackup, partsOf, type AppPartName } from './create.js';
import type { BackupPartName, TableRows } from './manifest.js';
import { appResourceName } from './mariadb.js';

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

  for (const part of wanted) {
    const kind = BACKUP_KINDS.find((k) => k.backup.part === part.name);
    if (!kind) continue;
    const scope = { ctx, app, id: entry.id, into, progress };
    const found = await kind.backup.restore(scope, part, join(entry.dir, part.file));
    if (found.tables) result.tables = found.tables;
    if (found.files !== undefined) result.files = found.files;
  }
  return result;
}
