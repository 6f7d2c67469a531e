import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, rename, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { removeTree } from './held-dir.js';

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
