import type { Command } from 'commander';
import { defaultDataDir, gibText, readDiskSpace, worstDiskSpaceLevel } from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson, table } from '../table.js';

// `minicloud platform disk`: how full the data dir's filesystems are, read on the manager
// itself (statfs), so it answers even when the API is down because the disk is full.
export function registerPlatformDisk(platform: Command, io: Io): void {
  platform
    .command('disk')
    .description('free space of the data dir, backups, registry and storage filesystems: ok, low or critical')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--json', 'machine-readable output')
    .action(async (flags: { dataDir: string; json?: boolean }) => {
      const filesystems = await readDiskSpace(flags.dataDir);
      if (flags.json) return printJson(io, { level: worstDiskSpaceLevel(filesystems), filesystems });
      table(
        io,
        ['LEVEL', 'FREE', 'TOTAL', 'PATHS'],
        filesystems.map((f) => [
          f.level,
          `${gibText(f.freeBytes)} (${f.freePercent}%)`,
          gibText(f.totalBytes),
          f.paths.join(', '),
        ]),
      );
    });
}
