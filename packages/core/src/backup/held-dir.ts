import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, readdir, readlink, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { MinicloudError } from '../errors.js';

// Walking a directory that someone else changes while we walk it: an app's storage, which the
// app (a hostile tenant, often root in its container) has bind-mounted and can fill with
// symlinks, or swap a file or a directory for a symlink between two of our calls.
//
// Why this is race-free. Every entry is reached as `/proc/self/fd/<dir>/<name>`, where <dir>
// is a descriptor we hold on its parent. The kernel follows that magic link to the very
// directory the descriptor holds (it does not look a path up again by name), then looks up
// one component, `name`, in it: this is openat(2), which node lacks. So no parent can be
// swapped under us, wherever the app moves things meanwhile. Each entry is first opened
// with O_PATH | O_NOFOLLOW: that pins the entry itself without opening it for reading (a
// symlink is held as the link, a FIFO or a device is never really opened, so none can hang
// us or trigger a driver), and fstat on it tells what it is. A regular file is then read
// through a second open of that same descriptor (again via /proc, which reopens the pinned
// inode, not a name), and a directory is walked through its held descriptor. The only
// lookups by name are readlink (whose answer is the text of a link in that directory: the
// app's own data) and unlink/rmdir of one component (which never follow the last one).
// What we read is therefore always an inode that was inside the tree when we reached it.

/** Linux's O_PATH on x86, arm and arm64 (node's fs.constants lacks it). */
const O_PATH = 0o10000000;
/** Nesting beyond this is refused: each level holds one descriptor while it is walked. */
export const MAX_DEPTH = 256;

/** An entry held by descriptor (O_PATH): its identity and type, not its content. */
export class HeldEntry {
  private constructor(
    private readonly handle: FileHandle,
    readonly stat: Stats,
    /** The path it was reached by, for messages only. */
    readonly path: string,
    readonly depth: number,
  ) {}

  /** Holds the directory at `path`. The path itself is trusted (the platform chose it) and followed. */
  static async directory(path: string): Promise<HeldEntry> {
    if (process.platform !== 'linux') {
      throw new MinicloudError(
        'MC_BACKUP',
        `walking ${path} without following links needs Linux (/proc/self/fd); this is ${process.platform}`,
      );
    }
    const handle = await open(path, O_PATH | constants.O_DIRECTORY);
    return new HeldEntry(handle, await handle.stat(), path, 0);
  }

  private get proc(): string {
    return `/proc/self/fd/${this.handle.fd}`;
  }

  private at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw new Error(`not a single path component: ${JSON.stringify(name)}`);
    }
    return `${this.proc}/${name}`;
  }

  /** The names in this directory. */
  names(): Promise<string[]> {
    return readdir(this.proc);
  }

  /** Holds `name` in this directory without following it; undefined when it is gone. */
  async child(name: string): Promise<HeldEntry | undefined> {
    if (this.depth + 1 > MAX_DEPTH) {
      throw new MinicloudError('MC_BACKUP', `${this.path} is nested deeper than ${MAX_DEPTH} directories`);
    }
    const handle = await open(this.at(name), O_PATH | constants.O_NOFOLLOW).catch(gone);
    if (!handle) return undefined;
    try {
      return new HeldEntry(handle, await handle.stat(), `${this.path}/${name}`, this.depth + 1);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The target text of the symlink `name` in this directory; undefined when it is no longer a symlink. */
  linkTarget(name: string): Promise<string | undefined> {
    return readlink(this.at(name)).catch(gone);
  }

  /** This regular file opened for reading: the held inode itself, whatever its name is now. */
  async read(): Promise<FileHandle> {
    if (!this.stat.isFile()) throw new Error(`${this.path} is not a regular file`);
    const file = await open(this.proc, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const now = await file.stat().catch(async (error: unknown) => {
      await file.close();
      throw error;
    });
    if (now.dev !== this.stat.dev || now.ino !== this.stat.ino) {
      // Cannot happen (the kernel reopens the held inode); checked because everything rests on it.
      await file.close();
      throw new Error(`${this.path} changed identity when reopened`);
    }
    return file;
  }

  /** Removes the non-directory `name` from this directory (a symlink is removed, not followed). */
  unlink(name: string): Promise<void> {
    return unlink(this.at(name));
  }

  /** Removes the empty directory `name` from this directory (a symlink there fails ENOTDIR). */
  rmdir(name: string): Promise<void> {
    return rmdir(this.at(name));
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** undefined for an entry that vanished or changed type under us, the error otherwise. */
function gone(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'EINVAL' || error.code === 'ENOTDIR') return undefined;
  throw error;
}

/**
 * Deletes the directory at `path` (trusted, followed) and everything in it, by descriptor, so
 * that someone who keeps a handle inside it (a container whose working directory was moved in
 * there) cannot send the deletion elsewhere by swapping an entry for a symlink. Entries
 * appearing meanwhile get a few more passes; then it gives up with the error.
 */
export async function removeTree(path: string): Promise<void> {
  const root = await HeldEntry.directory(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!root) return;
  try {
    for (let pass = 0; pass < 5 && (await root.names()).length > 0; pass++) await empty(root);
  } finally {
    await root.close();
  }
  await rmdir(path);
}

async function empty(dir: HeldEntry): Promise<void> {
  for (const name of await dir.names()) {
    const child = await dir.child(name);
    if (!child) continue;
    try {
      if (child.stat.isDirectory()) {
        await empty(child);
        // ENOTEMPTY (filled meanwhile) or ENOTDIR (swapped): the next pass sees it again.
        await dir.rmdir(name).catch(ignoreRace);
      } else {
        await dir.unlink(name).catch(ignoreRace);
      }
    } finally {
      await child.close();
    }
  }
}

function ignoreRace(error: NodeJS.ErrnoException): void {
  if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(error.code ?? '')) throw error;
}
