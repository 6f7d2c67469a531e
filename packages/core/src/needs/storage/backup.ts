import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../../errors.js';
import { extractArchive, packDirectory, readArchive } from '../../backup/archive.js';
import { gunzipFile } from '../../backup/hash.js';
import { removeTree } from '../../backup/held-dir.js';
import { swapContents } from '../../backup/swap.js';
import { gzipStage, writePart } from '../../backup/write-part.js';
import type { NeedBackup } from '../types.js';

// The storage part: the app's directory as a tar.gz, made where it lives (the manager node);
// checked by reading it through, restored by swapping the files into the same directory.

const FILE = 'storage.tar.gz';

export const storageBackup: NeedBackup<'storage'> = {
  part: 'storage',
  file: FILE,
  rank: 20,

  async create({ ctx, app, progress }, path) {
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
    const file = await writePart(path, [gzipStage(ctx)], async (head) => {
      stats = await packDirectory(dir, head);
    });
    return { name: 'storage', file: FILE, ...file, rawBytes: stats.bytes, files: stats.files };
  },

  async verify({ app, id, progress }, part, path) {
    progress('reading the storage archive through');
    const stats = await readArchive(path);
    if (part.files !== undefined && stats.files !== part.files) {
      throw new MinicloudError(
        'MC_BACKUP_VERIFY',
        `storage archive of ${app}/${id} has ${stats.files} files, backup.json says ${part.files}`,
      );
    }
    return { files: stats.files };
  },

  async restore({ ctx, into, progress }, _part, path) {
    const dir = join(ctx.storageDir, into);
    progress(`restoring storage into ${dir}`);
    const staging = join(ctx.storageDir, `.restore-${into}-${randomBytes(4).toString('hex')}`);
    try {
      const files = (await extractArchive(gunzipFile(path), staging)).files;
      await swapContents(staging, dir);
      return { files };
    } finally {
      await removeTree(staging);
    }
  },
};
