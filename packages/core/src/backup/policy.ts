import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { formatDetail, MinicloudError } from '../errors.js';
import { compileChecker } from '../schema/ajv.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { appResourceName } from './mariadb.js';
import { DEFAULT_RETENTION } from './retention.js';
import { DEFAULT_SCHEDULE, parseSchedule } from './schedule.js';

// An app's backup policy, <config-dir>/apps/<app>/backup-policy.json (absent: the defaults):
//   { "schedule": "daily@03:00", "keep": { "daily": 7, "weekly": 4 }, "verify": true }
// verify: after each scheduled backup, test-restore it into a scratch database.

export const BACKUP_POLICY_FILE = 'backup-policy.json';

const Count = Type.Integer({ minimum: 0, maximum: 1000 });

export const BackupPolicyInputSchema = Type.Object(
  {
    schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    keep: Type.Optional(
      Type.Object({ daily: Type.Optional(Count), weekly: Type.Optional(Count) }, { additionalProperties: false }),
    ),
    verify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type BackupPolicyInput = Static<typeof BackupPolicyInputSchema>;

/** A policy with every field filled in: what is stored, applied, and what the API answers. */
export const BackupPolicySchema = Type.Object({
  schedule: Type.String({ description: 'off, daily (03:00 UTC), daily@HH:MM (UTC) or every <duration>' }),
  keep: Type.Object({
    daily: Type.Integer({ description: 'The newest backup of each of the newest N days is kept' }),
    weekly: Type.Integer({ description: 'The newest backup of each of the newest N ISO weeks is kept' }),
  }),
  verify: Type.Boolean({ description: 'Test-restore each scheduled backup' }),
});

export type BackupPolicy = Static<typeof BackupPolicySchema>;

export const DEFAULT_BACKUP_POLICY: BackupPolicy = {
  schedule: DEFAULT_SCHEDULE,
  keep: { ...DEFAULT_RETENTION },
  verify: true,
};

const check = compileChecker(BackupPolicyInputSchema);

/** Checks a policy (or a change to one) and fills what it leaves out from `base`. */
export function resolvePolicy(input: unknown, base: BackupPolicy = DEFAULT_BACKUP_POLICY): BackupPolicy {
  const result = check(input);
  if (!result.ok) {
    throw new MinicloudError(
      'MC_BACKUP_POLICY_INVALID',
      `invalid backup policy: ${result.details.map(formatDetail).join('; ')}`,
      result.details,
    );
  }
  const value = result.value;
  const policy: BackupPolicy = {
    schedule: value.schedule ?? base.schedule,
    keep: { daily: value.keep?.daily ?? base.keep.daily, weekly: value.keep?.weekly ?? base.keep.weekly },
    verify: value.verify ?? base.verify,
  };
  parseSchedule(policy.schedule);
  return policy;
}

export async function readBackupPolicy(appsDir: string, app: string): Promise<BackupPolicy> {
  appResourceName(app);
  const path = join(appsDir, app, BACKUP_POLICY_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { ...DEFAULT_BACKUP_POLICY, keep: { ...DEFAULT_BACKUP_POLICY.keep } };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MinicloudError('MC_BACKUP_POLICY_INVALID', `${path} is not JSON`);
  }
  return resolvePolicy(raw);
}

/** Applies a change to the app's policy and stores it; returns the whole policy. */
export async function writeBackupPolicy(
  appsDir: string,
  app: string,
  change: BackupPolicyInput,
): Promise<BackupPolicy> {
  const policy = resolvePolicy(change, await readBackupPolicy(appsDir, app));
  await mkdir(join(appsDir, app), { recursive: true });
  await writeFileAtomic(join(appsDir, app, BACKUP_POLICY_FILE), `${JSON.stringify(policy, null, 2)}\n`);
  return policy;
}
