import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  APP_PARTS,
  appBackupStatus,
  backupContext,
  backupStatuses,
  BackupStore,
  createAppBackup,
  createPlatformBackup,
  defaultDataDir,
  extractPlatformBackup,
  generateBackupKey,
  MinicloudError,
  PLATFORM_BACKUP_KEY,
  pruneBackups,
  readBackupKey,
  readBackupPolicy,
  readBackupSettings,
  restoreAppBackup,
  Sensitive,
  verifyBackup,
  writeBackupPolicy,
  platformLayout,
  type AppBackupStatus,
  type AppPartName,
  type BackupContext,
  type BackupEntry,
  type BackupPolicyInput,
} from '@minicloud/core';
import type { Io } from '../output.js';
import { integer } from '../options.js';
import { printJson, table } from '../table.js';
import { formatBytes } from './registry.js';

// `minicloud backup ...`: runs on the manager, against the data dir and the local engine
// (core directly, no API): the dump runs in the MariaDB container, storage is read from disk.
// Every failure exits non-zero with `error (CODE): reason`.

interface EngineFlags {
  dataDir: string;
  mariadbContainer?: string;
  mariadbPasswordFile?: string;
  rabbitmqContainer?: string;
  copyTo?: string;
  json?: boolean;
}

function parts(value: string): AppPartName[] {
  const list = value.split(',').map((p) => p.trim());
  for (const p of list) {
    if (!(APP_PARTS as readonly string[]).includes(p))
      throw new InvalidArgumentError(`parts are ${APP_PARTS.join(', ')}`);
  }
  return list as AppPartName[];
}

function withEngineOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--mariadb-container <name>', 'the MariaDB container (default: the minicloud_mariadb task on this node)')
    .option(
      '--mariadb-password-file <file>',
      'root password file on this host (default: the secret inside the MariaDB container)',
    )
    .option('--rabbitmq-container <name>', 'the RabbitMQ container (default: the minicloud_rabbitmq task on this node)')
    .option('--copy-to <dir>', 'also copy finished backups here (default: copyTo in config/backups.json)')
    .option('--json', 'machine-readable output');
}

async function contextOf(flags: EngineFlags): Promise<BackupContext> {
  const password = flags.mariadbPasswordFile
    ? new Sensitive((await readFile(flags.mariadbPasswordFile, 'utf8')).replace(/[\r\n]+$/, ''))
    : undefined;
  return backupContext(flags.dataDir, {
    mariadb: {
      ...(flags.mariadbContainer ? { container: flags.mariadbContainer } : {}),
      ...(password ? { password } : {}),
    },
    rabbitmq: flags.rabbitmqContainer ? { container: flags.rabbitmqContainer } : {},
    ...(flags.copyTo ? { copyTo: flags.copyTo } : {}),
  });
}

async function keyFileOf(flags: { keyFile?: string; dataDir: string }): Promise<string> {
  const file = flags.keyFile ?? (await readBackupSettings(platformLayout(flags.dataDir).configDir)).keyFile;
  if (!file)
    throw new MinicloudError('MC_BACKUP_KEY', 'platform backups need --key-file (or keyFile in config/backups.json)');
  return file;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function summary(entry: BackupEntry): string {
  const parts = entry.manifest.parts.map((p) => {
    if (p.name === 'database')
      return `database ${p.tables?.length ?? 0} tables ${p.tables?.reduce((n, t) => n + t.rows, 0) ?? 0} rows ${formatBytes(p.bytes)}`;
    if (p.name === 'storage' || p.name === 'config' || p.name === 'secrets')
      return `${p.name} ${p.files ?? 0} files ${formatBytes(p.bytes)}`;
    return `${p.name} ${p.queues ?? 0} queues`;
  });
  return parts.join(', ') || 'no parts';
}

export function registerBackup(program: Command, io: Io): void {
  const backup = program
    .command('backup')
    .description('back up, list, verify and restore apps (database, storage, vhost) and the platform');

  withEngineOptions(
    backup
      .command('create [app]')
      .description("back up an app's database, storage and vhost (or, with --platform, the configuration and secrets)")
      .option('--parts <list>', `only these parts: ${APP_PARTS.join(',')}`, parts)
      .option('--verify', 'test-restore it afterwards (into a scratch database)')
      .option('--platform', 'back up the platform: config dir, and the secrets encrypted with --key-file')
      .option('--key-file <file>', "the operator's backup passphrase file (platform backups)"),
  ).action(
    async (
      app: string | undefined,
      flags: EngineFlags & { parts?: AppPartName[]; verify?: boolean; platform?: boolean; keyFile?: string },
    ) => {
      const ctx = await contextOf(flags);
      const progress = flags.json ? undefined : (step: string) => io.err(`- ${step}`);
      let entry: BackupEntry;
      if (flags.platform) {
        if (app) throw new MinicloudError('MC_BACKUP', 'give either an app or --platform');
        entry = await createPlatformBackup(ctx, {
          passphrase: await readBackupKey(await keyFileOf(flags)),
          ...(progress ? { progress } : {}),
        });
      } else {
        if (!app) throw new MinicloudError('MC_BACKUP', 'which app? (minicloud backup create APP)');
        entry = await createAppBackup(ctx, app, {
          ...(flags.parts ? { parts: flags.parts } : {}),
          ...(progress ? { progress } : {}),
        });
      }
      const verified = flags.verify && !flags.platform ? await verifyBackup(ctx, entry.app, entry.id) : undefined;
      if (flags.json)
        return printJson(io, { backup: entry.manifest, dir: entry.dir, ...(verified ? { verified } : {}) });
      io.out(`backup ${entry.app}/${entry.id}: ${summary(entry)}`);
      if (verified) io.out(`verified: ${verified.tables.length} tables restored with the row counts of backup.json`);
    },
  );

  withEngineOptions(
    backup
      .command('ls [app]')
      .description("an app's backups; without an app, every app's last backup, its age and state")
      .option('--platform', 'list platform backups'),
  ).action(async (app: string | undefined, flags: EngineFlags & { platform?: boolean }) => {
    const ctx = await contextOf(flags);
    const key = flags.platform ? PLATFORM_BACKUP_KEY : app;
    if (!key) {
      const statuses = await backupStatuses(ctx);
      if (flags.json) return printJson(io, statuses);
      table(io, ['APP', 'LAST BACKUP', 'AGE', 'SIZE', 'KEPT', 'SCHEDULE', 'STATE'], statuses.map(statusRow));
      for (const s of statuses)
        if (s.lastFailure) io.err(`${s.app}: last backup failed at ${s.lastFailure.at}: ${s.lastFailure.reason}`);
      return;
    }
    const scan = await ctx.store.scan(key);
    if (flags.json) {
      return printJson(io, {
        backups: scan.complete.map((e) => ({ id: e.id, dir: e.dir, manifest: e.manifest })),
        incomplete: scan.incomplete.map((f) => f.id),
        damaged: scan.damaged,
        ...(key !== PLATFORM_BACKUP_KEY ? { status: await appBackupStatus(ctx, key) } : {}),
      });
    }
    table(
      io,
      ['ID', 'TRIGGER', 'SIZE', 'PARTS'],
      scan.complete.map((e) => [
        e.id,
        e.manifest.trigger,
        formatBytes(e.manifest.parts.reduce((n, p) => n + p.bytes, 0)),
        summary(e),
      ]),
    );
    for (const f of scan.incomplete) io.out(`${f.id}  incomplete (no backup.json)`);
    for (const d of scan.damaged) io.out(`${d.id}  damaged: ${d.reason}`);
  });

  withEngineOptions(
    backup
      .command('restore <app> <backup>')
      .description(
        'restore a backup (an id, or `latest`) into the app, or into another app with --into; checksums are checked first',
      )
      .option('--into <app>', 'restore into this app instead (its database, storage directory and vhost)')
      .option('--parts <list>', `only these parts: ${APP_PARTS.join(',')}`, parts)
      .option('--no-backup-first', "do not back up the target's current data before replacing it"),
  ).action(
    async (
      app: string,
      id: string,
      flags: EngineFlags & { into?: string; parts?: AppPartName[]; backupFirst: boolean },
    ) => {
      const ctx = await contextOf(flags);
      const progress = flags.json ? undefined : (step: string) => io.err(`- ${step}`);
      const result = await restoreAppBackup(ctx, app, id, {
        ...(flags.into ? { into: flags.into } : {}),
        ...(flags.parts ? { parts: flags.parts } : {}),
        backupFirst: flags.backupFirst,
        ...(progress ? { progress } : {}),
      });
      if (flags.json) return printJson(io, result);
      if (result.previous) io.out(`the data it replaced is in backup ${result.into}/${result.previous}`);
      const rows = result.tables.reduce((n, t) => n + t.rows, 0);
      io.out(
        `restored ${result.app}/${result.id} into ${result.into}: ${result.parts.join(', ')}` +
          (result.parts.includes('database')
            ? ` (${result.tables.length} tables, ${rows} rows, counts match backup.json)`
            : '') +
          (result.files !== undefined ? ` (${result.files} files)` : ''),
      );
    },
  );

  withEngineOptions(
    backup
      .command('verify <app> [backup]')
      .description('check the checksums and test-restore a backup (default: the latest) into a scratch database'),
  ).action(async (app: string, id: string | undefined, flags: EngineFlags) => {
    const ctx = await contextOf(flags);
    const progress = flags.json ? undefined : (step: string) => io.err(`- ${step}`);
    const result = await verifyBackup(ctx, app, id ?? 'latest', progress ? { progress } : {});
    if (flags.json) return printJson(io, result);
    io.out(
      `verified ${app}/${result.id}: checksums match; ${result.tables.length} tables, ${result.tables.reduce((n, t) => n + t.rows, 0)} rows restored as recorded` +
        (result.files !== undefined ? `; storage archive reads back ${result.files} files` : '') +
        ` (${(result.durationMs / 1000).toFixed(1)} s)`,
    );
  });

  withEngineOptions(
    backup
      .command('prune [app]')
      .description("apply each app's retention (keep N daily, N weekly) here and in the second location")
      .option('--dry-run', 'print what would be deleted'),
  ).action(async (app: string | undefined, flags: EngineFlags & { dryRun?: boolean }) => {
    const ctx = await contextOf(flags);
    const apps = app ? [app] : (await ctx.apps.list()).map((a) => a.name);
    const out: Record<string, { delete: string[]; keep: string[]; incomplete: string[] }> = {};
    for (const name of apps) {
      const policy = await readBackupPolicy(ctx.apps.appsDir, name);
      const now = new Date();
      const result = await pruneBackups(ctx.store, name, policy.keep, now, { dryRun: !!flags.dryRun });
      out[name] = {
        delete: result.plan.delete,
        keep: result.plan.keep.map((k) => k.id),
        incomplete: result.incomplete,
      };
      if (ctx.copyTo) {
        await pruneBackups(new BackupStore(ctx.copyTo), name, policy.keep, now, { dryRun: !!flags.dryRun });
      }
    }
    if (flags.json) return printJson(io, out);
    for (const [name, r] of Object.entries(out)) {
      for (const id of r.delete) io.out(`${flags.dryRun ? 'would delete' : 'deleted'} ${name}/${id}`);
      for (const id of r.incomplete) io.out(`${flags.dryRun ? 'would delete' : 'deleted'} ${name}/${id} (incomplete)`);
      io.out(`${name}: ${r.keep.length} kept, ${r.delete.length} ${flags.dryRun ? 'to delete' : 'deleted'}`);
    }
  });

  backup
    .command('policy <app>')
    .description("show or change an app's backup schedule, retention and test restore")
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--schedule <s>', 'off, daily, daily@HH:MM (UTC) or every <duration> (every 6h)')
    .option('--keep-daily <n>', 'daily backups kept', integer)
    .option('--keep-weekly <n>', 'weekly backups kept', integer)
    .option('--verify', 'test-restore after each scheduled backup')
    .option('--no-verify', 'do not test-restore after scheduled backups')
    .option('--json', 'machine-readable output')
    .action(
      async (
        app: string,
        flags: {
          dataDir: string;
          schedule?: string;
          keepDaily?: number;
          keepWeekly?: number;
          verify?: boolean;
          json?: boolean;
        },
      ) => {
        const appsDir = platformLayout(flags.dataDir).appsDir;
        const change: BackupPolicyInput = {};
        if (flags.schedule !== undefined) change.schedule = flags.schedule;
        if (flags.keepDaily !== undefined || flags.keepWeekly !== undefined) {
          change.keep = {
            ...(flags.keepDaily !== undefined ? { daily: flags.keepDaily } : {}),
            ...(flags.keepWeekly !== undefined ? { weekly: flags.keepWeekly } : {}),
          };
        }
        if (flags.verify !== undefined) change.verify = flags.verify;
        const policy =
          Object.keys(change).length > 0
            ? await writeBackupPolicy(appsDir, app, change)
            : await readBackupPolicy(appsDir, app);
        if (flags.json) return printJson(io, policy);
        io.out(
          `${app}: schedule ${policy.schedule}, keep ${policy.keep.daily} daily and ${policy.keep.weekly} weekly, test restore ${policy.verify ? 'on' : 'off'}`,
        );
      },
    );

  backup
    .command('extract-platform <backup> <dir>')
    .description('decrypt a platform backup into a new directory (config/ and secrets/) for disaster recovery')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--key-file <file>', "the operator's backup passphrase file")
    .action(async (id: string, dir: string, flags: { dataDir: string; keyFile?: string }) => {
      const ctx = await backupContext(flags.dataDir);
      const result = await extractPlatformBackup(ctx, id, dir, await readBackupKey(await keyFileOf(flags)));
      io.out(`extracted platform backup ${result.id}: ${result.config} and ${result.secrets}`);
    });

  backup
    .command('keygen <file>')
    .description('write a new random backup passphrase file (0600); keep a copy away from this server')
    .action(async (file: string) => {
      await generateBackupKey(file);
      io.out(`wrote ${file}: keep a copy off this server, platform backups cannot be decrypted without it`);
    });
}

function statusRow(s: AppBackupStatus): string[] {
  return [
    s.app,
    s.last?.id ?? '-',
    s.last ? age(s.last.ageSeconds) : '-',
    s.last ? formatBytes(s.last.bytes) : '-',
    String(s.count),
    s.schedule,
    s.state,
  ];
}
