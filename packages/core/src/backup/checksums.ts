import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { sha256File } from './hash.js';
import type { BackupManifest } from './manifest.js';

/**
 * Checks every part of a backup against its manifest (present, same size, same sha256) before
 * anything is restored from it. A mismatch refuses the whole backup with MC_BACKUP_DAMAGED,
 * naming the part: restoring half of a damaged backup is worse than restoring none.
 */
export async function checkParts(dir: string, manifest: BackupManifest): Promise<void> {
  for (const part of manifest.parts) {
    const where = `backup ${manifest.app}/${manifest.id}: part ${part.name} (${part.file})`;
    const found = await sha256File(join(dir, part.file)).catch((error: NodeJS.ErrnoException) => {
      throw new MinicloudError('MC_BACKUP_DAMAGED', `${where} cannot be read: ${error.code ?? error.message}`, [
        { path: part.name, message: 'is missing or unreadable' },
      ]);
    });
    if (found.bytes !== part.bytes) {
      throw new MinicloudError(
        'MC_BACKUP_DAMAGED',
        `${where} is ${found.bytes} bytes, the manifest says ${part.bytes}: refused`,
        [{ path: part.name, message: 'has the wrong size' }],
      );
    }
    if (found.sha256 !== part.sha256) {
      throw new MinicloudError(
        'MC_BACKUP_DAMAGED',
        `${where} has sha256 ${found.sha256}, the manifest says ${part.sha256}: the file was altered or damaged, refused`,
        [{ path: part.name, message: 'does not match its checksum' }],
      );
    }
  }
}
