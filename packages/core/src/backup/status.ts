import type { BackupContext } from './context.js';
import { readBackupPolicy } from './policy.js';
import { formatSchedule, nextDue, parseSchedule, staleAfterMs } from './schedule.js';
import type { BackupFailure, VerifyRecord } from './store.js';

/** What an app's status shows about its backups. */
export interface AppBackupStatus {
  app: string;
  schedule: string;
  /** The newest complete backup. */
  last?: { id: string; at: string; ageSeconds: number; bytes: number; trigger: string };
  /** Complete backups kept. */
  count: number;
  /** When the schedule wants the next one (absent when off). */
  nextDue?: string;
  /** The last attempt failed (it stays until a backup succeeds). */
  lastFailure?: BackupFailure;
  lastVerify?: VerifyRecord;
  /**
   * ok: a recent backup and no failure; stale: none for two schedule periods (or never);
   * failing: the last attempt failed or the last test restore did not match.
   */
  state: 'ok' | 'stale' | 'failing' | 'off';
}

export async function appBackupStatus(ctx: BackupContext, app: string): Promise<AppBackupStatus> {
  const now = (ctx.now ?? (() => new Date()))();
  const policy = await readBackupPolicy(ctx.apps.appsDir, app);
  const schedule = parseSchedule(policy.schedule);
  const backups = await ctx.store.list(app);
  const newest = backups[0];
  const lastFailure = await ctx.store.lastFailure(app);
  const lastVerify = await ctx.store.lastVerify(app);
  const status: AppBackupStatus = { app, schedule: formatSchedule(schedule), count: backups.length, state: 'ok' };
  if (newest) {
    status.last = {
      id: newest.id,
      at: newest.time.toISOString(),
      ageSeconds: Math.max(0, Math.round((now.getTime() - newest.time.getTime()) / 1000)),
      bytes: newest.manifest.parts.reduce((n, p) => n + p.bytes, 0),
      trigger: newest.manifest.trigger,
    };
  }
  const due = nextDue(schedule, newest ? { lastSuccess: newest.time } : {}, now);
  if (due) status.nextDue = due.toISOString();
  if (lastFailure) status.lastFailure = lastFailure;
  if (lastVerify) status.lastVerify = lastVerify;
  const stale = staleAfterMs(schedule);
  if (lastFailure || (lastVerify && !lastVerify.ok)) status.state = 'failing';
  else if (stale === undefined) status.state = newest ? 'ok' : 'off';
  else if (!newest || now.getTime() - newest.time.getTime() > stale) status.state = 'stale';
  return status;
}

/** The backup status of every app in the configuration directory. */
export async function backupStatuses(ctx: BackupContext): Promise<AppBackupStatus[]> {
  const apps = await ctx.apps.list();
  return Promise.all(apps.map((a) => appBackupStatus(ctx, a.name)));
}
