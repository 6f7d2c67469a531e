// Free space of the filesystems the platform writes to, judged before they are full: a full
// disk stops MariaDB, the registry and backups half way, so the operator is told while there
// is still room to act. Pure: the figures come from ./disk-space-read.ts (or a test).

export type DiskSpaceLevel = 'ok' | 'low' | 'critical';
export const DISK_SPACE_LEVELS: readonly DiskSpaceLevel[] = ['ok', 'low', 'critical'];

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Low: less than this share of the filesystem free ... */
export const LOW_FREE_RATIO = 0.1;
/** ... or less than this many bytes (a large disk at 10% still has room; a small one at 1 GiB has not). */
export const LOW_FREE_BYTES = 1 * GIB;
/** Critical: backups are refused below either of these (a backup would fill the rest). */
export const CRITICAL_FREE_RATIO = 0.03;
export const CRITICAL_FREE_BYTES = 256 * MIB;

/** What statfs and stat say of one watched path. */
export interface PathFigures {
  path: string;
  /** stat().dev: paths with the same device share one filesystem. */
  device: number;
  totalBytes: number;
  /** Free to an unprivileged writer (bavail), which is what the services can still use. */
  freeBytes: number;
}

/** One filesystem, named by every watched path on it. */
export interface FilesystemSpace {
  paths: string[];
  device: number;
  totalBytes: number;
  freeBytes: number;
  /** Whole percent free, rounded down (9.9% free is 9%, so "below 10%" reads true). */
  freePercent: number;
  level: DiskSpaceLevel;
  /** `/data/minicloud: 0.8 GiB free of 20 GiB (4%)` */
  reason: string;
}

export function diskSpaceLevel(totalBytes: number, freeBytes: number): DiskSpaceLevel {
  const ratio = totalBytes > 0 ? freeBytes / totalBytes : 0;
  if (ratio < CRITICAL_FREE_RATIO || freeBytes < CRITICAL_FREE_BYTES) return 'critical';
  if (ratio < LOW_FREE_RATIO || freeBytes < LOW_FREE_BYTES) return 'low';
  return 'ok';
}

/** GiB with one decimal below 10 (0.8 GiB), whole above (20 GiB). */
export function gibText(bytes: number): string {
  const gib = bytes / GIB;
  return `${gib < 10 ? gib.toFixed(1) : Math.round(gib).toString()} GiB`;
}

/** Each filesystem once, in the order its first path was given; its paths in the order given. */
export function diskSpaceLevels(figures: readonly PathFigures[]): FilesystemSpace[] {
  const byDevice = new Map<number, { first: PathFigures; paths: string[] }>();
  for (const f of figures) {
    const seen = byDevice.get(f.device);
    if (seen) seen.paths.push(f.path);
    else byDevice.set(f.device, { first: f, paths: [f.path] });
  }
  return [...byDevice.values()].map(({ first, paths }) => {
    const { totalBytes, freeBytes } = first;
    const freePercent = totalBytes > 0 ? Math.floor((freeBytes / totalBytes) * 100) : 0;
    return {
      paths,
      device: first.device,
      totalBytes,
      freeBytes,
      freePercent,
      level: diskSpaceLevel(totalBytes, freeBytes),
      reason: `${paths.join(', ')}: ${gibText(freeBytes)} free of ${gibText(totalBytes)} (${freePercent}%)`,
    };
  });
}

/** The worst level of all (ok when there is none). */
export function worstDiskSpaceLevel(filesystems: readonly FilesystemSpace[]): DiskSpaceLevel {
  let worst = 0;
  for (const f of filesystems) worst = Math.max(worst, DISK_SPACE_LEVELS.indexOf(f.level));
  return DISK_SPACE_LEVELS[worst]!;
}
