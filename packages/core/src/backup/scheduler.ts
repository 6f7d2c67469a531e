import { MinicloudError } from '../errors.js';
import type { BackupContext } from './context.js';
import { createAppBackup } from './create.js';
import { readBackupKey } from './encryption.js';
import { createPlatformBackup } from './platform.js';
import { DEFAULT_BACKUP_POLICY, readBackupPolicy, type BackupPolicy } from './policy.js';
import { pruneBackups } from './prune.js';
import { dueAt, parseSchedule, RETRY_AFTER_MS, type DueInput } from './schedule.js';
import { BackupStore, PLATFORM_BACKUP_KEY } from './store.js';
import { verifyBackup } from './verify.js';

// The timer loop the API service runs: every interval it asks the pure dueAt() what is due,
// then runs those jobs one after another (a small server does one dump at a time): backup,
// test restore when the policy says so, retention here and in the second location. Every
// failure is reported through onEvent (the API logs it as an error), recorded beside the
// backups for the app's status, and retried an hour later, not in a loop.

export type SchedulerEvent =
  | { type: 'started'; app: string }
  | { type: 'succeeded'; app: string; id: string; verified: boolean; deleted: string[] }
  | { type: 'failed'; app: string; error: MinicloudError };

export interface BackupSchedulerOptions {
  /** How often to look for due work (default one minute). */
  intervalMs?: number;
  /** Which apps to back up (default: every app in the configuration directory). */
  apps?: () => Promise<string[]>;
  /** The operator's passphrase file: with it, the platform itself is backed up on platformPolicy. */
  keyFile?: string;
  platformPolicy?: BackupPolicy;
  onEvent?: (event: SchedulerEvent) => void;
  retryMs?: number;
}

export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly attempts = new Map<string, Date>();

  constructor(
    private readonly ctx: BackupContext,
    private readonly options: BackupSchedulerOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for a job under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs what is due now (unless a previous tick is still running); returns the keys it ran. */
  async tick(): Promise<string[]> {
    if (this.running) return [];
    let ran: string[] = [];
    this.running = (async () => {
      ran = await this.runDue();
    })().finally(() => (this.running = undefined));
    await this.running;
    return ran;
  }

  private now(): Date {
    return (this.ctx.now ?? (() => new Date()))();
  }

  private async policies(): Promise<Map<string, BackupPolicy>> {
    // An app being removed is not backed up: its parts are going, and a backup would fail noisily.
    const apps = this.options.apps
      ? await this.options.apps()
      : (await this.ctx.apps.list()).filter((a) => a.state !== 'removing').map((a) => a.name);
    const policies = new Map<string, BackupPolicy>();
    for (const app of apps) {
      try {
        policies.set(app, await readBackupPolicy(this.ctx.apps.appsDir, app));
      } catch (error) {
        this.emit({ type: 'failed', app, error: asError(error, app) });
      }
    }
    if (this.options.keyFile) policies.set(PLATFORM_BACKUP_KEY, this.options.platformPolicy ?? DEFAULT_BACKUP_POLICY);
    return policies;
  }

  private async runDue(): Promise<string[]> {
    const policies = await this.policies();
    const inputs: DueInput[] = [];
    for (const [key, policy] of policies) {
      const newest = (await this.ctx.store.list(key))[0];
      const lastAttempt = this.attempts.get(key);
      inputs.push({
        key,
        schedule: parseSchedule(policy.schedule),
        state: { ...(newest ? { lastSuccess: newest.time } : {}), ...(lastAttempt ? { lastAttempt } : {}) },
      });
    }
    const due = dueAt(inputs, this.now(), this.options.retryMs ?? RETRY_AFTER_MS);
    for (const key of due) await this.runOne(key, policies.get(key)!);
    return due;
  }

  private async runOne(key: string, policy: BackupPolicy): Promise<void> {
    this.attempts.set(key, this.now());
    this.emit({ type: 'started', app: key });
    try {
      const entry =
        key === PLATFORM_BACKUP_KEY
          ? await createPlatformBackup(this.ctx, {
              passphrase: await readBackupKey(this.options.keyFile!),
              trigger: 'schedule',
            })
          : await createAppBackup(this.ctx, key, { trigger: 'schedule' });
      const verified = policy.verify && key !== PLATFORM_BACKUP_KEY;
      if (verified) await verifyBackup(this.ctx, key, entry.id);
      const pruned = await pruneBackups(this.ctx.store, key, policy.keep, this.now());
      if (this.ctx.copyTo) await pruneBackups(new BackupStore(this.ctx.copyTo), key, policy.keep, this.now());
      this.emit({ type: 'succeeded', app: key, id: entry.id, verified, deleted: pruned.plan.delete });
    } catch (error) {
      this.emit({ type: 'failed', app: key, error: asError(error, key) });
    }
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a logging failure must not stop the schedule
    }
  }
}

function asError(error: unknown, app: string): MinicloudError {
  return error instanceof MinicloudError
    ? error
    : new MinicloudError('MC_BACKUP', `scheduled backup of ${app}: ${(error as Error).message}`, [], { cause: error });
}
