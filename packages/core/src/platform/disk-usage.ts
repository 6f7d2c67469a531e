import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { platformLayout } from './layout.js';

// The data dir's disk: the filesystem's total, used and free (statfs, instant) and what the
// platform and each app's storage take of it. Sizes are walks of directories, so they are kept
// and measured again in the background once older than `maxAgeMs`: a page that shows them
// every few seconds costs one walk every few minutes.

export interface DiskUsage {
  path: string;
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
  /** The data dir less the apps' storage: registry, databases, message bus, backups, config. */
  platformBytes: number;
  /** Each app's storage directory on this node (apps whose storage lives on another node are absent). */
  apps: { app: string; bytes: number }[];
  /** When the directory sizes were measured. */
  measuredAt: string;
}

/** Bytes the files under `path` take on disk (allocated blocks); unreadable entries are skipped. */
export async function directoryBytes(path: string): Promise<number> {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) stack.push(full);
      const s = await lstat(full).catch(() => undefined);
      if (s) total += s.blocks * 512;
    }
  }
  return total;
}

interface Sizes {
  at: Date;
  platformBytes: number;
  apps: { app: string; bytes: number }[];
}

async function measure(dataDir: string, now: Date): Promise<Sizes> {
  const storage = platformLayout(dataDir).storageDir;
  const apps: { app: string; bytes: number }[] = [];
  const dirs = await readdir(storage, { withFileTypes: true }).catch(() => []);
  for (const d of dirs.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)))
    apps.push({ app: d.name, bytes: await directoryBytes(join(storage, d.name)) });
  const all = await directoryBytes(dataDir);
  const appBytes = apps.reduce((s, a) => s + a.bytes, 0);
  return { at: now, platformBytes: Math.max(0, all - appBytes), apps };
}

export class DiskUsageReader {
  private sizes: Sizes | undefined;
  private measuring: Promise<Sizes> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private remeasure(): Promise<Sizes> {
    this.measuring ??= measure(this.dataDir, this.now()).then(
      (sizes) => {
        this.sizes = sizes;
        this.measuring = undefined;
        return sizes;
      },
      (error: unknown) => {
        this.measuring = undefined;
        throw error;
      },
    );
    return this.measuring;
  }

  /** The first call waits for the walk; later ones answer the last sizes and refresh stale ones behind. */
  async read(): Promise<DiskUsage> {
    const fs = await statfs(this.dataDir);
    let sizes = this.sizes;
    if (!sizes) sizes = await this.remeasure();
    else if (this.now().getTime() - sizes.at.getTime() > this.maxAgeMs) void this.remeasure().catch(() => undefined);
    return {
      path: this.dataDir,
      totalBytes: fs.blocks * fs.bsize,
      usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
      freeBytes: fs.bavail * fs.bsize,
      platformBytes: sizes.platformBytes,
      apps: sizes.apps,
      measuredAt: sizes.at.toISOString(),
    };
  }
}
