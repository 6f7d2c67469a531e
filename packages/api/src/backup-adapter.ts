import type { FastifyBaseLogger } from 'fastify';
import type { EventsPort } from './events.js';
import {
  appBackupStatus,
  BackupScheduler,
  createAppBackup,
  MinicloudError,
  readBackupPolicy,
  readBackupSettings,
  restoreAppBackup,
  verifyBackup,
  writeBackupPolicy,
  type BackupContext,
  type BackupEntry,
  type SchedulerEvent,
} from '@minicloud/core';
import type { BackupsPort, BackupSummary } from './ports.js';

// The backups port over core's backup engine (packages/core/src/backup), and the scheduler the
// API service runs. Thin, like ./adapters.ts: the logic is core's, tested there and in
// test/engine/backup-*.

/** A complete backup as the API lists it. */
export function backupSummary(entry: BackupEntry): BackupSummary {
  const parts = entry.manifest.parts.map((p) => ({ name: p.name, file: p.file, bytes: p.bytes }));
  return {
    app: entry.app,
    id: entry.id,
    time: entry.time.toISOString(),
    complete: true,
    trigger: entry.manifest.trigger,
    parts,
    bytes: parts.reduce((n, p) => n + p.bytes, 0),
  };
}

export function coreBackups(ctx: BackupContext): BackupsPort {
  /** Backups are of apps the platform knows: an unknown name is a 404, not an empty list. */
  async function known(app: string): Promise<void> {
    if (!(await ctx.apps.exists(app))) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${app}`);
  }

  return {
    list: async (app) => {
      await known(app);
      const scan = await ctx.store.scan(app);
      const out: BackupSummary[] = [
        ...scan.complete.map(backupSummary),
        ...scan.incomplete.map((f) => ({
          app,
          id: f.id,
          time: f.time.toISOString(),
          complete: false,
          parts: [],
          bytes: 0,
          reason: 'no backup.json: interrupted, or still running',
        })),
        ...scan.damaged.map((f) => ({
          app,
          id: f.id,
          time: timeOf(f.id),
          complete: false,
          damaged: true,
          parts: [],
          bytes: 0,
          reason: f.reason,
        })),
      ];
      return out.sort((a, b) => b.id.localeCompare(a.id));
    },
    create: async (app, progress) => {
      await known(app);
      return backupSummary(await createAppBackup(ctx, app, { trigger: 'manual', progress }));
    },
    restore: async (app, id, options, progress) => {
      await known(app);
      if (options.into !== undefined && options.into !== app) await known(options.into);
      const result = await restoreAppBackup(ctx, app, id, {
        ...(options.into !== undefined ? { into: options.into } : {}),
        backupFirst: options.backupFirst ?? true,
        progress,
      });
      return { ...result, parts: [...result.parts] };
    },
    verify: async (app, id, progress) => {
      await known(app);
      return verifyBackup(ctx, app, id ?? 'latest', { progress });
    },
    status: async (app) => {
      await known(app);
      return appBackupStatus(ctx, app);
    },
    getPolicy: async (app) => {
      await known(app);
      return readBackupPolicy(ctx.apps.appsDir, app);
    },
    setPolicy: async (app, change) => {
      await known(app);
      return writeBackupPolicy(ctx.apps.appsDir, app, change);
    },
  };
}

function timeOf(id: string): string {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})\.([0-9]{3})Z$/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : '';
}

/**
 * Starts core's BackupScheduler (every app on its policy, daily by default; the platform too
 * when backups.json names a key file). Every failure is logged as an error naming the app and
 * the reason: a backup never fails quietly.
 */
export async function startBackupScheduler(
  ctx: BackupContext,
  log: FastifyBaseLogger,
  options: { intervalMs?: number; events?: EventsPort } = {},
): Promise<BackupScheduler> {
  const settings = await readBackupSettings(ctx.configDir);
  const scheduler = new BackupScheduler(ctx, {
    ...(settings.keyFile ? { keyFile: settings.keyFile } : {}),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    onEvent: schedulerEvents(log, options.events),
  });
  scheduler.start();
  log.info({ copyTo: ctx.copyTo, platform: Boolean(settings.keyFile) }, 'backup scheduler started');
  return scheduler;
}

/**
 * Scheduler events to the log and, for a failure, to the event log as an alert (and so to the
 * notification webhook): nobody is watching a job page at 3 a.m.
 */
export function schedulerEvents(log: FastifyBaseLogger, events?: EventsPort): (event: SchedulerEvent) => void {
  const logged = schedulerLogger(log);
  return (event) => {
    logged(event);
    if (event.type !== 'failed' || !events) return;
    void events
      .record({
        kind: 'alert.backup-failed',
        level: 'error',
        actor: 'platform',
        app: event.app,
        message: `scheduled backup of ${event.app} failed: ${event.error.code}: ${event.error.message}`,
      })
      .catch((error: Error) => log.error({ reason: error.message }, 'event not recorded'));
  };
}

/** How scheduler events reach the log: failures as errors with the app, code and reason. */
export function schedulerLogger(log: FastifyBaseLogger): (event: SchedulerEvent) => void {
  return (event) => {
    if (event.type === 'failed') {
      log.error(
        { app: event.app, code: event.error.code, reason: event.error.message },
        `scheduled backup of ${event.app} FAILED: ${event.error.message}`,
      );
    } else if (event.type === 'succeeded') {
      log.info(
        { app: event.app, id: event.id, verified: event.verified, deleted: event.deleted },
        `scheduled backup of ${event.app} done`,
      );
    } else {
      log.info({ app: event.app }, `scheduled backup of ${event.app} started`);
    }
  };
}
