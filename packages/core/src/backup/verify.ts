import { join } from 'node:path';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { BACKUP_KINDS } from '../needs/registry.js';
import { checkParts } from './checksums.js';
import { quiet, type BackupContext } from './context.js';
import type { TableRows } from './manifest.js';

export { compareTables, loadAndCheck } from './load-check.js';
export { readArchive } from './archive.js';

// The proof that a backup restores: every checksum, then each part test-restored by its need
// kind (needs/<kind>/backup.ts): the dump loaded into a scratch database whose tables and
// exact row counts must equal what backup.json recorded while the dump was made; the storage
// archive read through to its end and its files counted. The scratch database is dropped
// whatever happens. A mismatch throws MC_BACKUP_VERIFY naming
// every table that differs, and is recorded for the app's status.

export interface VerifyResult {
  app: string;
  id: string;
  verifiedAt: string;
  durationMs: number;
  tables: TableRows[];
  /** Files read back from the storage archive. */
  files?: number;
}

export interface VerifyOptions {
  progress?: Progress;
}

/** Test-restores one backup (default: the latest) into scratch places and checks it. */
export async function verifyBackup(
  ctx: BackupContext,
  app: string,
  id = 'latest',
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const progress = options.progress ?? quiet;
  const now = ctx.now ?? (() => new Date());
  const started = Date.now();
  let backupId = id;
  try {
    const entry = await ctx.store.get(app, id);
    backupId = entry.id;
    progress(`checking the checksums of ${app}/${entry.id}`);
    await checkParts(entry.dir, entry.manifest);
    const result: VerifyResult = { app, id: entry.id, verifiedAt: '', durationMs: 0, tables: [] };
    for (const part of entry.manifest.parts) {
      // config and secrets are a platform backup's parts: checked by their checksums above.
      const kind = BACKUP_KINDS.find((k) => k.backup.part === part.name);
      if (!kind) continue;
      const found = await kind.backup.verify({ ctx, app, id: entry.id, progress }, part, join(entry.dir, part.file));
      if (found.tables) result.tables = found.tables;
      if (found.files !== undefined) result.files = found.files;
    }
    result.verifiedAt = now().toISOString();
    result.durationMs = Date.now() - started;
    await ctx.store.recordVerify(app, { at: result.verifiedAt, id: entry.id, ok: true });
    return result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.store
      .recordVerify(app, { at: now().toISOString(), id: backupId, ok: false, reason })
      .catch(() => undefined);
    if (error instanceof MinicloudError) throw error;
    throw new MinicloudError('MC_BACKUP_VERIFY', `test restore of ${app}/${backupId}: ${reason}`, [], { cause: error });
  }
}
