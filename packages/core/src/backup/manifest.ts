import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { MinicloudError, formatDetail } from '../errors.js';
import { compileChecker } from '../schema/ajv.js';
import { BACKUP_KINDS, type NeedPartName } from '../needs/registry.js';
import { writeFileAtomic } from '../util/atomic-write.js';

// backup.json: what a backup folder holds, written last (atomic rename), so a folder without
// it is an interrupted backup and never mistaken for a complete one. Restore trusts nothing
// in the folder that this file does not name, size and checksum.

export const BACKUP_MANIFEST_FILE = 'backup.json';
export const BACKUP_MANIFEST_FORMAT = 1;

/** Backup ids are UTC timestamps with milliseconds, e.g. 20250131T030000.123Z: sortable, unique per app. */
export const BACKUP_ID_PATTERN = '^[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z$';
const ISO_TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$';

/** An app's parts (one per need kind, needs/registry.ts), then a platform backup's. */
export const BACKUP_PART_NAMES: readonly BackupPartName[] = [
  ...BACKUP_KINDS.map((k) => k.backup.part),
  'config',
  'secrets',
];
export type BackupPartName = NeedPartName | 'config' | 'secrets';

export const TableRowsSchema = Type.Object(
  { name: Type.String({ minLength: 1 }), rows: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

export const BackupPartSchema = Type.Object(
  {
    name: Type.Union(BACKUP_PART_NAMES.map((n) => Type.Literal(n))),
    /** A plain file name inside the folder. */
    file: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$' }),
    /** Size of the file as stored. */
    bytes: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** Size before compression/encryption. */
    rawBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    /** database: the database dumped, its tables and exact row counts from the dump itself. */
    database: Type.Optional(Type.String()),
    tables: Type.Optional(Type.Array(TableRowsSchema)),
    /** storage/config: regular files in the archive. */
    files: Type.Optional(Type.Integer({ minimum: 0 })),
    /** messagebus: the vhost and what its definitions hold. */
    vhost: Type.Optional(Type.String()),
    queues: Type.Optional(Type.Integer({ minimum: 0 })),
    exchanges: Type.Optional(Type.Integer({ minimum: 0 })),
    /** redis: the keys under the app's prefix the file holds. */
    keys: Type.Optional(Type.Integer({ minimum: 0 })),
    /** secrets: encrypted with the operator's key (see encryption.ts). */
    encrypted: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const BackupManifestSchema = Type.Object(
  {
    format: Type.Literal(BACKUP_MANIFEST_FORMAT),
    kind: Type.Union([Type.Literal('app'), Type.Literal('platform')]),
    /** The app, or `platform`. */
    app: Type.String({ minLength: 1 }),
    id: Type.String({ pattern: BACKUP_ID_PATTERN }),
    startedAt: Type.String({ pattern: ISO_TIME }),
    finishedAt: Type.String({ pattern: ISO_TIME }),
    /** What started it: a person, the schedule, ... */
    trigger: Type.Union([Type.Literal('manual'), Type.Literal('schedule')]),
    parts: Type.Array(BackupPartSchema),
    /** Versions of what made the parts (mariadb-dump, the server, RabbitMQ, minicloud, node). */
    tools: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);

export type TableRows = Static<typeof TableRowsSchema>;
export type BackupPart = Static<typeof BackupPartSchema>;
export type BackupManifest = Static<typeof BackupManifestSchema>;

const check = compileChecker(BackupManifestSchema);

/** Checks a parsed backup.json: the schema, then that part names and files are unique. */
export function validateBackupManifest(value: unknown, where = BACKUP_MANIFEST_FILE): BackupManifest {
  const result = check(value);
  if (!result.ok) {
    throw new MinicloudError(
      'MC_BACKUP_DAMAGED',
      `${where} is not a valid backup manifest: ${result.details.map(formatDetail).join('; ')}`,
      result.details,
    );
  }
  const manifest = result.value;
  const seen = new Set<string>();
  for (const [i, part] of manifest.parts.entries()) {
    for (const key of [`name:${part.name}`, `file:${part.file}`]) {
      if (seen.has(key)) {
        throw new MinicloudError('MC_BACKUP_DAMAGED', `${where}: parts[${i}] repeats ${key.replace(':', ' ')}`, [
          { path: `parts[${i}]`, message: 'is listed twice' },
        ]);
      }
      seen.add(key);
    }
    if (part.file === BACKUP_MANIFEST_FILE) {
      throw new MinicloudError('MC_BACKUP_DAMAGED', `${where}: parts[${i}] cannot be the manifest itself`);
    }
  }
  return manifest;
}

/** Reads and validates a folder's backup.json; undefined when there is none (incomplete). */
export async function readBackupManifest(dir: string): Promise<BackupManifest | undefined> {
  const text = await readFile(join(dir, BACKUP_MANIFEST_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MinicloudError(
      'MC_BACKUP_DAMAGED',
      `${join(dir, BACKUP_MANIFEST_FILE)} is not JSON: ${(error as Error).message}`,
    );
  }
  return validateBackupManifest(value, join(dir, BACKUP_MANIFEST_FILE));
}

/** Writes backup.json last and atomically: the folder becomes a complete backup in one rename. */
export async function writeBackupManifest(dir: string, manifest: BackupManifest): Promise<void> {
  validateBackupManifest(manifest);
  await writeFileAtomic(join(dir, BACKUP_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
}

/** 2025-01-31T03:00:00.123Z -> 20250131T030000.123Z */
export function backupIdOf(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/** The time a backup id names. */
export function timeOfBackupId(id: string): Date {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})\.([0-9]{3})Z$/.exec(id);
  if (!m) throw new MinicloudError('MC_BACKUP_NOT_FOUND', `${id} is not a backup id (such as 20250131T030000.123Z)`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}
