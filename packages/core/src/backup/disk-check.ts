import { MinicloudError } from '../errors.js';
import { diskSpaceLevels } from '../platform/disk-space.js';
import { figuresWhereWritten, readPathFigures, type DiskFiguresSource } from '../platform/disk-space-read.js';

/**
 * Refuses a backup before its folder is made when the backups' filesystem is critical: it
 * would fill the rest (and stop the databases on the same disk) and be removed half-written.
 */
export async function refuseBackupOnCriticalDisk(
  backupsDir: string,
  source: DiskFiguresSource = readPathFigures,
): Promise<void> {
  const [space] = diskSpaceLevels([await figuresWhereWritten(backupsDir, source)]);
  if (space?.level !== 'critical') return;
  throw new MinicloudError(
    'MC_DISK_LOW',
    `no backup started: the backups' filesystem is almost full (${space.reason}); free space or move the backups first`,
    [{ path: backupsDir, message: `${space.freeBytes} bytes free of ${space.totalBytes}` }],
  );
}
