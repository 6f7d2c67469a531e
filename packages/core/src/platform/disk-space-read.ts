import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { diskSpaceLevels, type FilesystemSpace, type PathFigures } from './disk-space.js';
import { platformLayout } from './layout.js';

// The effectful edge of ./disk-space.ts: statfs for the sizes, stat for the device (which
// paths share a filesystem). Both are instant, so the API reads them fresh on every look.

/** Reads one path's figures; tests pass a fake one. */
export type DiskFiguresSource = (path: string) => Promise<PathFigures>;

export const readPathFigures: DiskFiguresSource = async (path) => {
  const [fs, st] = await Promise.all([statfs(path), stat(path)]);
  return { path, device: st.dev, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
};

/** Where the platform's data grows: its data dir, the backups, the registry's blobs, the apps' storage. */
export function watchedPaths(dataDir: string): string[] {
  const layout = platformLayout(dataDir);
  return [layout.dataDir, layout.backupsDir, layout.registryDataDir, layout.storageDir];
}

const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** The watched paths that exist (a platform without backups yet has no backups dir), per filesystem. */
export async function readDiskSpace(
  dataDir: string,
  source: DiskFiguresSource = readPathFigures,
): Promise<FilesystemSpace[]> {
  const figures: PathFigures[] = [];
  for (const path of watchedPaths(dataDir)) {
    const f = await source(path).catch((error: unknown) => {
      if (missing(error)) return undefined;
      throw error;
    });
    if (f) figures.push(f);
  }
  return diskSpaceLevels(figures);
}

/**
 * The figures of the filesystem `path` will be written on: its own, or (not made yet) its
 * nearest existing parent's, named as `path`.
 */
export async function figuresWhereWritten(
  path: string,
  source: DiskFiguresSource = readPathFigures,
): Promise<PathFigures> {
  for (let at = path; ; at = dirname(at)) {
    try {
      return { ...(await source(at)), path };
    } catch (error) {
      if (!missing(error) || dirname(at) === at) throw error;
    }
  }
}
