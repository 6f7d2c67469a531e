import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Progress } from '../apps/types.js';
import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';
import { extractArchive, packDirectory } from './archive.js';
import { checkParts } from './checksums.js';
import { quiet, type BackupContext } from './context.js';
import { copyBackup } from './copy.js';
import { writePart } from './write-part.js';
import { DecryptStream, EncryptStream } from './encryption.js';
import { BACKUP_MANIFEST_FORMAT, writeBackupManifest, type BackupManifest } from './manifest.js';
import { PLATFORM_BACKUP_KEY, type BackupEntry } from './store.js';
import { refuseBackupOnCriticalDisk } from './disk-check.js';

// The platform's own backup: the configuration directory (no secrets: it can be a git
// repository) as config.tar.gz, and the secrets directory (generated passwords, tokens, the
// apps' credentials) as secrets.tar.gz.enc, encrypted with the operator's key. Stored like an
// app's backup under backups/_platform/<id>/, backup.json last.

export const PLATFORM_PART_FILES = { config: 'config.tar.gz', secrets: 'secrets.tar.gz.enc' } as const;

export interface PlatformBackupOptions {
  /** The operator's passphrase (readBackupKey(file)). */
  passphrase: Sensitive<string>;
  trigger?: 'manual' | 'schedule';
  progress?: Progress;
}

export async function createPlatformBackup(ctx: BackupContext, options: PlatformBackupOptions): Promise<BackupEntry> {
  const progress = options.progress ?? quiet;
  const now = ctx.now ?? (() => new Date());
  const startedAt = now();
  const app = PLATFORM_BACKUP_KEY;
  let folder: { id: string; dir: string } | undefined;
  try {
    await refuseBackupOnCriticalDisk(ctx.store.root, ctx.diskFigures);
    folder = await ctx.store.create(app, startedAt);
    progress(`archiving ${ctx.configDir}`);
    let config = { files: 0, bytes: 0 };
    const configPart = await writePart(join(folder.dir, PLATFORM_PART_FILES.config), [createGzip()], async (head) => {
      config = await packDirectory(ctx.configDir, head);
    });
    progress(`archiving and encrypting ${ctx.secretsDir}`);
    let secrets = { files: 0, bytes: 0 };
    const secretsPart = await writePart(
      join(folder.dir, PLATFORM_PART_FILES.secrets),
      [createGzip(), new EncryptStream(options.passphrase)],
      async (head) => {
        secrets = await packDirectory(ctx.secretsDir, head);
      },
    );
    const manifest: BackupManifest = {
      format: BACKUP_MANIFEST_FORMAT,
      kind: 'platform',
      app,
      id: folder.id,
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      trigger: options.trigger ?? 'manual',
      parts: [
        {
          name: 'config',
          file: PLATFORM_PART_FILES.config,
          ...configPart,
          rawBytes: config.bytes,
          files: config.files,
        },
        {
          name: 'secrets',
          file: PLATFORM_PART_FILES.secrets,
          ...secretsPart,
          rawBytes: secrets.bytes,
          files: secrets.files,
          encrypted: true,
        },
      ],
      tools: { node: process.version },
    };
    await writeBackupManifest(folder.dir, manifest);
    const entry: BackupEntry = { app, id: folder.id, dir: folder.dir, time: startedAt, manifest };
    folder = undefined;
    if (ctx.copyTo) await copyBackup(entry, ctx.copyTo);
    await ctx.store.clearFailure(app);
    return entry;
  } catch (error) {
    throw await ctx.store.abandon(app, folder?.dir, error, 'platform backup', now());
  }
}

/**
 * Extracts a platform backup into `into` (config/ and secrets/, the latter 0700), checking
 * checksums first and decrypting with the operator's passphrase. `into` must be empty or
 * missing: this never writes over a live platform; the operator moves the result into place.
 * A wrong key fails with MC_BACKUP_KEY and leaves nothing of the secrets behind.
 */
export async function extractPlatformBackup(
  ctx: BackupContext,
  id: string,
  into: string,
  passphrase: Sensitive<string>,
): Promise<{ id: string; config: string; secrets: string }> {
  const entry = await ctx.store.get(PLATFORM_BACKUP_KEY, id);
  await checkParts(entry.dir, entry.manifest);
  const existing = await readdir(into).catch(() => []);
  if (existing.length > 0) throw new MinicloudError('MC_BACKUP', `${into} is not empty: extract into a new directory`);
  await mkdir(into, { recursive: true, mode: 0o700 });
  const config = join(into, 'config');
  const secrets = join(into, 'secrets');
  try {
    await extractArchive(streamOf(join(entry.dir, PLATFORM_PART_FILES.config), false, passphrase), config);
    await extractArchive(streamOf(join(entry.dir, PLATFORM_PART_FILES.secrets), true, passphrase), secrets);
  } catch (error) {
    await rm(secrets, { recursive: true, force: true });
    throw error;
  }
  return { id: entry.id, config, secrets };
}

/** A part's plain tar stream: decrypted first when encrypted; errors reach the consumer. */
function streamOf(path: string, encrypted: boolean, passphrase: Sensitive<string>): Readable {
  const gunzip = createGunzip();
  const stages = encrypted
    ? [createReadStream(path), new DecryptStream(passphrase), gunzip]
    : [createReadStream(path), gunzip];
  pipeline(stages).catch(() => undefined);
  return gunzip;
}
