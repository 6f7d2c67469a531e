import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import { BACKUP_KINDS, type NeedPartName } from '../needs/registry.js';
import { quiet, type BackupContext } from './context.js';
import { copyBackup } from './copy.js';
import { BACKUP_MANIFEST_FORMAT, writeBackupManifest, type BackupManifest, type BackupPart } from './manifest.js';
import { appResourceName } from './mariadb.js';
import type { BackupEntry } from './store.js';
import { refuseBackupOnCriticalDisk } from './disk-check.js';

export { writePart, DEFAULT_GZIP_LEVEL } from './write-part.js';

/** The parts an app's backup can have: one per need kind, in the order backups write them. */
export const APP_PARTS: readonly AppPartName[] = BACKUP_KINDS.map((k) => k.backup.part);
export type AppPartName = NeedPartName;

export const APP_PART_FILES = Object.fromEntries(BACKUP_KINDS.map((k) => [k.backup.part, k.backup.file])) as Record<
  AppPartName,
  string
>;

export interface CreateBackupOptions {
  /** Which parts; default: what the app needs (its record in the configuration directory). */
  parts?: readonly AppPartName[];
  trigger?: 'manual' | 'schedule';
  progress?: Progress;
}

/**
 * Backs up one app: one part per need kind it has (needs/<kind>/backup.ts: its database dumped,
 * its storage directory archived, its vhost's definitions exported), each streamed through
 * sha256 to disk; then writes backup.json last. A failure removes the half-made folder, records
 * the reason for the app's status, and throws: a backup never fails quietly.
 */
export async function createAppBackup(
  ctx: BackupContext,
  app: string,
  options: CreateBackupOptions = {},
): Promise<BackupEntry> {
  const progress = options.progress ?? quiet;
  const now = ctx.now ?? (() => new Date());
  appResourceName(app); // an invalid app name is refused before anything is read
  // An unknown app fails here, before anything is written for it.
  const parts = options.parts ?? (await partsOf(ctx, app));
  const startedAt = now();
  let folder: { id: string; dir: string } | undefined;
  try {
    await refuseBackupOnCriticalDisk(ctx.store.root, ctx.diskFigures);
    folder = await ctx.store.create(app, startedAt);
    const tools: Record<string, string> = { minicloud: await minicloudVersion(), node: process.version };
    const written: BackupPart[] = [];

    for (const kind of BACKUP_KINDS) {
      if (!parts.includes(kind.backup.part)) continue;
      const path = join(folder.dir, kind.backup.file);
      written.push(await kind.backup.create({ ctx, app, progress }, path, tools));
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

/** The parts an app has, from its record's needs, in APP_PARTS' order. */
export async function partsOf(ctx: BackupContext, app: string): Promise<AppPartName[]> {
  const record = await ctx.apps.read(app);
  const needs = record.needs as readonly string[];
  return BACKUP_KINDS.filter((k) => needs.includes(k.name)).map((k) => k.backup.part);
}

let version: string | undefined;
async function minicloudVersion(): Promise<string> {
  if (version === undefined) {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8').catch(() => '{}');
    version = String((JSON.parse(text) as { version?: string }).version ?? 'unknown');
  }
  return version;
}
