import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { checkParts } from './checksums.js';
import { readBackupManifest, writeBackupManifest } from './manifest.js';
import type { BackupEntry } from './store.js';

/**
 * Copies a finished backup to a second location (a mounted directory, for off-site use) with
 * the same layout: the parts first, each checked against its sha256 there, backup.json last,
 * so the copy too is complete or ignored. A complete copy already there is left alone.
 */
export async function copyBackup(entry: BackupEntry, root: string): Promise<string> {
  const dir = join(root, entry.app, entry.id);
  const existing = await readBackupManifest(dir).catch(() => undefined);
  if (existing && existing.id === entry.id) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    for (const part of entry.manifest.parts) await copyFile(join(entry.dir, part.file), join(dir, part.file));
    await checkParts(dir, entry.manifest);
    await writeBackupManifest(dir, entry.manifest);
  } catch (error) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw error instanceof MinicloudError
      ? error
      : new MinicloudError('MC_BACKUP', (error as Error).message, [], { cause: error });
  }
  return dir;
}
