import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readFile, rename, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { extractArchive } from './archive.js';
import { removeTree } from './held-dir.js';
import { checkParts } from './checksums.js';
import { gunzipFile } from './hash.js';
import { quiet, type BackupContext } from './context.js';
import { createAppBackup, partsOf, type AppPartName } from './create.js';
import type { BackupPartName, TableRows } from './manifest.js';
import { appResourceName } from './mariadb.js';
import type { VhostDefinitions } from './messagebus.js';
import { loadAndCheck } from './verify.js';

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
 * first and a damaged backup is refused whole (MC_BACKUP_DAMAGED). Then:
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
  const resource = appResourceName(into);
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
    const path = join(entry.dir, part.file);
    if (part.name === 'database') {
      progress(`loading the dump into database ${resource}`);
      await ctx.mariadb.dropDatabase(resource);
      await ctx.mariadb.createDatabase(resource);
      result.tables = await loadAndCheck(
        ctx.mariadb,
        resource,
        path,
        part.tables ?? [],
        `restore of ${app}/${entry.id} into ${into}`,
      );
    } else if (part.name === 'storage') {
      const dir = join(ctx.storageDir, into);
      progress(`restoring storage into ${dir}`);
      const staging = join(ctx.storageDir, `.restore-${into}-${randomBytes(4).toString('hex')}`);
      try {
        result.files = (await extractArchive(gunzipFile(path), staging)).files;
        await swapContents(staging, dir);
      } finally {
        await removeTree(staging);
      }
    } else if (part.name === 'messagebus') {
      progress(`loading the definitions into vhost ${resource}`);
      const definitions = JSON.parse(await readFile(path, 'utf8')) as VhostDefinitions;
      await ctx.rabbitmq.importVhost(resource, definitions);
    }
  }
  return result;
}

/**
 * Makes `dir` hold exactly what `staging` holds, keeping `dir` itself (its inode: a running
 * container's bind mount of it sees the new content). The old entries are moved aside first
 * and put back if a move fails half-way; then they are deleted.
 */
export async function swapContents(staging: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const aside = join(dirname(dir), `.old-${basename(dir)}-${randomBytes(4).toString('hex')}`);
  await mkdir(aside, { mode: 0o700 });
  const moved: string[] = [];
  const placed: string[] = [];
  try {
    for (const name of await readdir(dir)) {
      await rename(join(dir, name), join(aside, name));
      moved.push(name);
    }
    for (const name of await readdir(staging)) {
      await rename(join(staging, name), join(dir, name));
      placed.push(name);
    }
  } catch (error) {
    for (const name of placed) await rename(join(dir, name), join(staging, name)).catch(() => undefined);
    for (const name of moved) await rename(join(aside, name), join(dir, name)).catch(() => undefined);
    await removeTree(aside).catch(() => undefined);
    throw new MinicloudError(
      'MC_BACKUP',
      `could not swap the restored files into ${dir}: ${(error as Error).message}`,
      [],
      { cause: error },
    );
  }
  const root = await lstat(staging);
  await chmod(dir, root.mode & 0o7777);
  if (process.getuid?.() === 0) await chown(dir, root.uid, root.gid);
  await utimes(dir, root.atime, root.mtime);
  // By descriptor: the app's processes keep running, and one whose working directory was
  // moved in here can still swap entries for symlinks while we delete (see held-dir.ts).
  await removeTree(aside).catch((error: unknown) => {
    throw new MinicloudError(
      'MC_BACKUP',
      `restored into ${dir}, but the files it replaced, moved to ${aside}, could not all be removed (remove them by hand): ${(error as Error).message}`,
      [],
      { cause: error },
    );
  });
}
