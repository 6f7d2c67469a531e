import type { Command } from 'commander';
import {
  defaultDataDir,
  dockerClient,
  listRegistry,
  MinicloudError,
  registryAccess,
  runRegistryGc,
  uniqueBytes,
} from '@minicloud/core';
import type { Io } from '../output.js';
import { integer } from '../options.js';
import { printJson, table } from '../table.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

interface AccessFlags {
  dataDir: string;
  passwordFile?: string;
}

export function registerRegistry(program: Command, io: Io): void {
  const registry = program.command('registry').description('the private registry: list images and sizes, clean up');

  registry
    .command('ls')
    .description('list repositories and tags with their size; the last line is the disk use')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--password-file <file>', 'registry password (default: <data-dir>/secrets/registry-password)')
    .option('--json', 'machine-readable output')
    .action(async (flags: AccessFlags & { json?: boolean }) => {
      const access = await registryAccess(
        flags.dataDir,
        flags.passwordFile ? { passwordFile: flags.passwordFile } : {},
      );
      const tags = await listRegistry(access.client);
      const total = uniqueBytes(tags);
      if (flags.json) return printJson(io, { tags: tags.map(({ blobs: _blobs, ...t }) => t), totalBytes: total });
      table(
        io,
        ['REPOSITORY', 'TAG', 'DIGEST', 'CREATED', 'SIZE'],
        tags.map((t) => [
          `${access.settings.registryAddr}/${t.repo}`,
          t.tag,
          t.digest.slice(0, 19),
          t.created?.slice(0, 19).replace('T', ' ') ?? '-',
          formatBytes(t.size),
        ]),
      );
      const repos = new Set(tags.map((t) => t.repo)).size;
      io.out(
        `${repos} repositories, ${tags.length} tags, ${formatBytes(total)} stored (layers shared between tags counted once)`,
      );
    });

  registry
    .command('gc')
    .description('delete images no service runs, keeping the newest few per repository, and free their disk space')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--password-file <file>', 'registry password (default: <data-dir>/secrets/registry-password)')
    .option(
      '--keep <n>',
      'previous images kept per repository besides the deployed ones (default: the platform setting)',
      integer,
    )
    .option('--dry-run', 'print the plan only')
    .option('--wait <seconds>', 'wait this long for the registry to answer first', integer, 0)
    .option('--json', 'machine-readable output')
    .action(async (flags: AccessFlags & { keep?: number; dryRun?: boolean; wait: number; json?: boolean }) => {
      const access = await registryAccess(
        flags.dataDir,
        flags.passwordFile ? { passwordFile: flags.passwordFile } : {},
      );
      const deadline = Date.now() + flags.wait * 1000;
      for (;;) {
        try {
          await access.client.ping();
          break;
        } catch (error) {
          if (Date.now() >= deadline || (error instanceof MinicloudError && error.code === 'MC_REGISTRY_AUTH'))
            throw error;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
      const keep = flags.keep ?? access.settings.registryKeep;
      const result = await runRegistryGc(access, dockerClient(), { keep, ...(flags.dryRun ? { dryRun: true } : {}) });
      if (flags.json) return printJson(io, result);
      for (const k of result.plan.keep)
        io.out(`keep    ${k.repo}@${k.digest.slice(0, 19)} ${k.tags.join(',')} (${k.reason})`);
      for (const d of result.plan.delete)
        io.out(`${flags.dryRun ? 'would delete' : 'deleted'} ${d.repo}@${d.digest.slice(0, 19)} ${d.tags.join(',')}`);
      const after = result.after === undefined ? '' : `, ${formatBytes(result.after)} after`;
      io.out(
        `registry gc: ${result.plan.delete.length} images ${flags.dryRun ? 'to delete' : 'deleted'}, ${formatBytes(result.plan.freedBytes)} freed, ${formatBytes(result.before)} before${after}`,
      );
    });
}
