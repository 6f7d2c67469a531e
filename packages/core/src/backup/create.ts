import { createWriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { packDirectory } from './archive.js';
import { quiet, type BackupContext } from './context.js';
import { copyBackup } from './copy.js';
import { CountingStream, HashingStream } from './hash.js';
import { BACKUP_MANIFEST_FORMAT, writeBackupManifest, type BackupManifest, type BackupPart } from './manifest.js';
import { appResourceName } from './mariadb.js';
import { RowCountingStream } from './sql-row-counter.js';
import type { BackupEntry } from './store.js';

export const APP_PARTS = ['database', 'storage', 'messagebus'] as const;
export type AppPartName = (typeof APP_PARTS)[number];

export const APP_PART_FILES: Record<AppPartName, string> = {
  database: 'database.sql.gz',
  storage: 'storage.tar.gz',
  messagebus: 'messagebus.json',
};

export interface CreateBackupOptions {
  /** Which parts; default: what the app needs (its record in the configuration directory). */
  parts?: readonly AppPartName[];
  trigger?: 'manual' | 'schedule';
  progress?: Progress;
}

/**
 * Backs up one app: its database (a single-snapshot dump, streamed through gzip and sha256
 * to disk, rows counted on the way), its storage directory (tar.gz) and its vhost's
 * definitions; then writes backup.json last. A failure removes the half-made folder, records
 * the reason for the app's status, and throws: a backup never fails quietly.
 */
export async function createAppBackup(
  ctx: BackupContext,
  app: string,
  options: CreateBackupOptions = {},
): Promise<BackupEntry> {
  const progress = options.progress ?? quiet;
  const now = ctx.now ?? (() => new Date());
  const resource = appResourceName(app);
  // An unknown app fails here, before anything is written for it.
  const parts = options.parts ?? (await partsOf(ctx, app));
  const startedAt = now();
  let folder: { id: string; dir: string } | undefined;
  try {
    folder = await ctx.store.create(app, startedAt);
    const tools: Record<string, string> = { minicloud: await minicloudVersion(), node: process.version };
    const written: BackupPart[] = [];

    if (parts.includes('database')) {
      progress(`dumping database ${resource}`);
      const versions = await ctx.mariadb.versions();
      tools['mariadb-dump'] = versions.dump;
      tools['mariadb-server'] = versions.server;
      // The gzipped dump goes to the file as it comes; a second branch unzips it to count rows.
      const rows = new RowCountingStream();
      const raw = new CountingStream();
      const file = await writePart(
        join(folder.dir, APP_PART_FILES.database),
        [],
        (head) => ctx.mariadb.dumpGzip(resource, head, ctx.gzipLevel ?? DEFAULT_GZIP_LEVEL),
        [createGunzip(), rows, raw, discard()],
      );
      const counted = rows.counter.result();
      if (!counted.completed) {
        throw new MinicloudError(
          'MC_BACKUP',
          `the dump of ${resource} ended without mariadb-dump's "Dump completed" line`,
        );
      }
      written.push({
        name: 'database',
        file: APP_PART_FILES.database,
        ...file,
        rawBytes: raw.bytes,
        database: resource,
        tables: [...counted.tables].map(([name, n]) => ({ name, rows: n })),
      });
    }

    if (parts.includes('storage')) {
      const dir = join(ctx.storageDir, app);
      progress(`archiving storage ${dir}`);
      const isDir = await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDir) {
        throw new MinicloudError(
          'MC_BACKUP',
          `the storage directory ${dir} is not on this node (storage is backed up where it lives)`,
        );
      }
      let stats = { files: 0, bytes: 0 };
      const file = await writePart(join(folder.dir, APP_PART_FILES.storage), [gzip(ctx)], async (head) => {
        stats = await packDirectory(dir, head);
      });
      written.push({
        name: 'storage',
        file: APP_PART_FILES.storage,
        ...file,
        rawBytes: stats.bytes,
        files: stats.files,
      });
    }

    if (parts.includes('messagebus')) {
      progress(`exporting the definitions of vhost ${resource}`);
      tools['rabbitmq'] = await ctx.rabbitmq.version();
      const definitions = await ctx.rabbitmq.exportVhost(resource);
      const text = Buffer.from(`${JSON.stringify(definitions, null, 2)}\n`);
      const file = await writePart(join(folder.dir, APP_PART_FILES.messagebus), [], (head) =>
        pipeline(Readable.from([text]), head),
      );
      written.push({
        name: 'messagebus',
        file: APP_PART_FILES.messagebus,
        ...file,
        vhost: resource,
        queues: definitions.queues?.length ?? 0,
        exchanges: definitions.exchanges?.length ?? 0,
      });
    }

    const manifest: BackupManifest = {
      format: BACKUP_MANIFEST_FORMAT,
      kind: 'app',
      app,
      id: folder.id,
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      trigger: options.trigger ?? 'manual',
      parts: written,
      tools,
    };
    progress('writing backup.json');
    await writeBackupManifest(folder.dir, manifest);
    const entry: BackupEntry = { app, id: folder.id, dir: folder.dir, time: startedAt, manifest };
    folder = undefined; // complete: never removed below
    if (ctx.copyTo) {
      progress(`copying to ${ctx.copyTo}`);
      await copyBackup(entry, ctx.copyTo).catch((error: unknown) => {
        throw new MinicloudError(
          'MC_BACKUP',
          `backup ${app}/${entry.id} is complete here, but copying it to ${ctx.copyTo} failed: ${(error as Error).message}`,
          [],
          { cause: error },
        );
      });
    }
    await ctx.store.clearFailure(app);
    return entry;
  } catch (error) {
    throw await ctx.store.abandon(app, folder?.dir, error, `backup of ${app}`, now());
  }
}

/** The parts an app has, from its record: database, storage, messagebus, in that order. */
export async function partsOf(ctx: BackupContext, app: string): Promise<AppPartName[]> {
  const record = await ctx.apps.read(app);
  const needs = record.needs as readonly string[];
  return APP_PARTS.filter((p) => needs.includes(p));
}

export const DEFAULT_GZIP_LEVEL = 6;

function gzip(ctx: BackupContext): Transform {
  return createGzip({ level: ctx.gzipLevel ?? DEFAULT_GZIP_LEVEL });
}

/**
 * Streams what `produce` writes through the stages, a sha256 and into a new file (0600, never
 * an existing one), then flushes it to disk: the manifest that names it is only written after
 * every part is on disk. `branch`, if given, receives the same bytes too (with backpressure).
 */
export async function writePart(
  path: string,
  stages: Transform[],
  produce: (head: Writable) => Promise<void>,
  branch: (Transform | Writable)[] = [],
): Promise<{ bytes: number; sha256: string }> {
  const hashing = new HashingStream();
  const file = createWriteStream(path, { mode: 0o600, flags: 'wx' });
  const head = new PassThrough();
  head.setMaxListeners(32); // two pipelines and the producer's each listen on it: not a leak
  const flows = [pipeline([head, ...stages, hashing, file])];
  if (branch.length > 0) flows.push(pipeline([head, ...branch]));
  const producing = produce(head).catch((error: unknown) => {
    head.destroy(error as Error);
    throw error;
  });
  const results = await Promise.allSettled([producing, ...flows]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes: hashing.bytes, sha256: hashing.digest() };
}

/** A sink that drops what it gets (the end of a counting branch). */
function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

let version: string | undefined;
async function minicloudVersion(): Promise<string> {
  if (version === undefined) {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8').catch(() => '{}');
    version = String((JSON.parse(text) as { version?: string }).version ?? 'unknown');
  }
  return version;
}
