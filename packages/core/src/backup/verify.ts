import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Progress } from '../apps/types.js';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import { checkParts } from './checksums.js';
import { quiet, type BackupContext } from './context.js';
import type { TableRows } from './manifest.js';
import type { MariaDbClient } from './mariadb.js';

// The proof that a backup restores: every checksum, then the dump loaded into a scratch
// database whose tables and exact row counts must equal what backup.json recorded while the
// dump was made; the storage archive read through to its end and its files counted. The
// scratch database is dropped whatever happens. A mismatch throws MC_BACKUP_VERIFY naming
// every table that differs, and is recorded for the app's status.

export interface VerifyResult {
  app: string;
  id: string;
  verifiedAt: string;
  durationMs: number;
  tables: TableRows[];
  /** Files read back from the storage archive. */
  files?: number;
}

/** The differences between the manifest's tables and a restored database's (empty when equal). */
export function compareTables(expected: readonly TableRows[], actual: ReadonlyMap<string, number>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const want = new Map(expected.map((t) => [t.name, t.rows]));
  for (const [name, rows] of want) {
    const got = actual.get(name);
    if (got === undefined)
      details.push({ path: `tables.${name}`, message: `is in backup.json (${rows} rows) but was not restored` });
    else if (got !== rows)
      details.push({ path: `tables.${name}`, message: `backup.json says ${rows} rows, the restore has ${got}` });
  }
  for (const [name, rows] of actual) {
    if (!want.has(name))
      details.push({ path: `tables.${name}`, message: `was restored (${rows} rows) but is not in backup.json` });
  }
  return details;
}

/** Loads a gzipped dump into `database` (which exists) and checks its tables against `expected`. */
export async function loadAndCheck(
  mariadb: MariaDbClient,
  database: string,
  dumpFile: string,
  expected: readonly TableRows[],
  what: string,
): Promise<TableRows[]> {
  await mariadb.loadGzip(database, createReadStream(dumpFile));
  const actual = await mariadb.rowCounts(database);
  const details = compareTables(expected, actual);
  if (details.length > 0) {
    throw new MinicloudError(
      'MC_BACKUP_VERIFY',
      `${what}: the restored database does not match backup.json: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
    );
  }
  return [...actual].map(([name, rows]) => ({ name, rows }));
}

/** Reads a tar.gz through and counts its regular files, writing nothing. */
export async function readArchive(file: string): Promise<{ files: number; bytes: number }> {
  const extract = tar.extract();
  const stats = { files: 0, bytes: 0 };
  extract.on('entry', (header: tar.Headers, stream: NodeJS.ReadableStream, next: () => void) => {
    if (header.type === 'file') stats.files++;
    stream.on('data', (chunk: Buffer) => (stats.bytes += header.type === 'file' ? chunk.length : 0));
    stream.on('end', () => next());
    stream.resume();
  });
  await pipeline(createReadStream(file), createGunzip(), extract);
  return stats;
}

export interface VerifyOptions {
  progress?: Progress;
}

/** Test-restores one backup (default: the latest) into scratch places and checks it. */
export async function verifyBackup(
  ctx: BackupContext,
  app: string,
  id = 'latest',
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const progress = options.progress ?? quiet;
  const now = ctx.now ?? (() => new Date());
  const started = Date.now();
  let backupId = id;
  try {
    const entry = await ctx.store.get(app, id);
    backupId = entry.id;
    progress(`checking the checksums of ${app}/${entry.id}`);
    await checkParts(entry.dir, entry.manifest);
    const result: VerifyResult = { app, id: entry.id, verifiedAt: '', durationMs: 0, tables: [] };
    for (const part of entry.manifest.parts) {
      const path = join(entry.dir, part.file);
      if (part.name === 'database') {
        const scratch = `minicloud_verify_${randomBytes(6).toString('hex')}`;
        progress(`loading the dump into scratch database ${scratch}`);
        await ctx.mariadb.createDatabase(scratch);
        try {
          result.tables = await loadAndCheck(
            ctx.mariadb,
            scratch,
            path,
            part.tables ?? [],
            `test restore of ${app}/${entry.id}`,
          );
        } finally {
          await ctx.mariadb.dropDatabase(scratch).catch(() => undefined);
        }
      } else if (part.name === 'storage') {
        progress('reading the storage archive through');
        const stats = await readArchive(path);
        if (part.files !== undefined && stats.files !== part.files) {
          throw new MinicloudError(
            'MC_BACKUP_VERIFY',
            `storage archive of ${app}/${entry.id} has ${stats.files} files, backup.json says ${part.files}`,
          );
        }
        result.files = stats.files;
      } else if (part.name === 'messagebus') {
        JSON.parse(await readFile(path, 'utf8'));
      }
    }
    result.verifiedAt = now().toISOString();
    result.durationMs = Date.now() - started;
    await ctx.store.recordVerify(app, { at: result.verifiedAt, id: entry.id, ok: true });
    return result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.store
      .recordVerify(app, { at: now().toISOString(), id: backupId, ok: false, reason })
      .catch(() => undefined);
    if (error instanceof MinicloudError) throw error;
    throw new MinicloudError('MC_BACKUP_VERIFY', `test restore of ${app}/${backupId}: ${reason}`, [], { cause: error });
  }
}
