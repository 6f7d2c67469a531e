import {
  DEFAULT_BACKUP_POLICY,
  MinicloudError,
  resolvePolicy,
  type AppBackupStatus,
  type BackupPolicy,
  type Progress,
} from '@minicloud/core';
import type { BackupsPort, BackupSummary } from '@minicloud/api';

// A stand-in for core's backup engine: backups as records in memory, the same coded errors
// (MC_APP_NOT_FOUND, MC_BACKUP_NOT_FOUND, MC_BACKUP_DAMAGED naming the part, MC_BACKUP_POLICY_INVALID).

export interface FakeBackups extends BackupsPort {
  backups: Map<string, BackupSummary[]>;
  policies: Map<string, BackupPolicy>;
  /** app/id -> the part whose checksum no longer matches. */
  damagedParts: Map<string, string>;
  /** app -> the reason its last attempt failed. */
  failures: Map<string, string>;
  calls: string[];
  /** The next create fails with this error. */
  failNext?: MinicloudError;
  now: Date;
  /** Which apps exist (the test's FakeApps); others are MC_APP_NOT_FOUND. */
  knows: (app: string) => boolean;
  seed(app: string, id: string, options?: Partial<BackupSummary>): BackupSummary;
}

function idOf(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

function timeOf(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13)}`;
}

export function fakeBackups(): FakeBackups {
  const fake: FakeBackups = {
    backups: new Map(),
    policies: new Map(),
    damagedParts: new Map(),
    failures: new Map(),
    calls: [],
    now: new Date('2026-03-01T12:00:00.000Z'),
    knows: () => true,

    seed(app, id, options = {}) {
      const parts = options.parts ?? [
        { name: 'database', file: 'database.sql.gz', bytes: 2048 },
        { name: 'storage', file: 'storage.tar.gz', bytes: 1024 },
      ];
      const entry: BackupSummary = {
        app,
        id,
        time: timeOf(id),
        complete: true,
        trigger: 'schedule',
        parts,
        bytes: parts.reduce((n, p) => n + p.bytes, 0),
        ...options,
      };
      const list = [...(fake.backups.get(app) ?? []), entry].sort((a, b) => b.id.localeCompare(a.id));
      fake.backups.set(app, list);
      return entry;
    },

    async list(app) {
      await known(app);
      return [...(fake.backups.get(app) ?? [])];
    },

    async create(app, progress) {
      await known(app);
      fake.calls.push(`create ${app}`);
      progress('dumping database');
      if (fake.failNext) {
        const error = fake.failNext;
        delete fake.failNext;
        fake.failures.set(app, error.message);
        throw error;
      }
      fake.failures.delete(app);
      return fake.seed(app, idOf(fake.now), { trigger: 'manual' });
    },

    async restore(app, id, options, progress: Progress) {
      await known(app);
      const into = options.into ?? app;
      await known(into);
      const entry = get(app, id);
      progress(`checking the checksums of ${app}/${entry.id}`);
      const part = fake.damagedParts.get(`${app}/${entry.id}`);
      if (part) {
        const file = entry.parts.find((p) => p.name === part)?.file ?? part;
        throw new MinicloudError(
          'MC_BACKUP_DAMAGED',
          `backup ${app}/${entry.id}: part ${part} (${file}) has sha256 0000, the manifest says 1111: the file was altered or damaged, refused`,
          [{ path: part, message: 'does not match its checksum' }],
        );
      }
      fake.calls.push(`restore ${app}/${entry.id} into ${into} backupFirst=${options.backupFirst ?? true}`);
      progress(`loading the dump into database ${into}`);
      return {
        app,
        id: entry.id,
        into,
        parts: entry.parts.map((p) => p.name),
        tables: [{ name: 'posts', rows: 3 }],
        ...((options.backupFirst ?? true) ? { previous: idOf(fake.now) } : {}),
      };
    },

    async verify(app, id, progress) {
      await known(app);
      const entry = get(app, id ?? 'latest');
      fake.calls.push(`verify ${app}/${entry.id}`);
      progress('loading the dump into scratch database minicloud_verify_0');
      const part = fake.damagedParts.get(`${app}/${entry.id}`);
      if (part)
        throw new MinicloudError('MC_BACKUP_DAMAGED', `backup ${app}/${entry.id}: part ${part} was altered`, [
          { path: part, message: 'does not match its checksum' },
        ]);
      return {
        app,
        id: entry.id,
        verifiedAt: fake.now.toISOString(),
        durationMs: 12,
        tables: [{ name: 'posts', rows: 3 }],
      };
    },

    async status(app) {
      await known(app);
      const policy = fake.policies.get(app) ?? DEFAULT_BACKUP_POLICY;
      const newest = (fake.backups.get(app) ?? []).filter((b) => b.complete)[0];
      const status: AppBackupStatus = {
        app,
        schedule: policy.schedule,
        count: (fake.backups.get(app) ?? []).filter((b) => b.complete).length,
        state: 'ok',
      };
      if (newest) {
        status.last = {
          id: newest.id,
          at: newest.time,
          ageSeconds: Math.round((fake.now.getTime() - Date.parse(newest.time)) / 1000),
          bytes: newest.bytes,
          trigger: newest.trigger ?? 'manual',
        };
      }
      const failure = fake.failures.get(app);
      if (failure) status.lastFailure = { at: fake.now.toISOString(), reason: failure, code: 'MC_BACKUP' };
      if (failure) status.state = 'failing';
      else if (policy.schedule === 'off') status.state = newest ? 'ok' : 'off';
      else if (!newest || (status.last?.ageSeconds ?? 0) > 2 * 86400) status.state = 'stale';
      return status;
    },

    async getPolicy(app) {
      await known(app);
      return fake.policies.get(app) ?? structuredClone(DEFAULT_BACKUP_POLICY);
    },

    async setPolicy(app, change) {
      await known(app);
      const policy = resolvePolicy(change, fake.policies.get(app) ?? DEFAULT_BACKUP_POLICY);
      fake.policies.set(app, policy);
      return policy;
    },
  };

  async function known(app: string): Promise<void> {
    if (!fake.knows(app)) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${app}`);
  }

  function get(app: string, id: string): BackupSummary {
    const list = (fake.backups.get(app) ?? []).filter((b) => b.complete);
    const entry = id === 'latest' ? list[0] : list.find((b) => b.id === id);
    if (!entry) throw new MinicloudError('MC_BACKUP_NOT_FOUND', `${app} has no backup ${id}`);
    return entry;
  }

  return fake;
}
