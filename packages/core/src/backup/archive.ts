import { once } from 'node:events';
import { constants, createReadStream } from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, open, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, normalize, relative, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { MinicloudError } from '../errors.js';
import { HeldEntry } from './held-dir.js';

// A directory as a tar stream and back, streamed both ways (one file's chunk in memory at a
// time), keeping modes, owners (when run as root), times and symlinks. Used for an app's
// storage directory and for the platform's configuration directory.

export interface ArchiveStats {
  /** Regular files. */
  files: number;
  /** Their total size. */
  bytes: number;
}

const CHUNK = 64 * 1024;
/** A restored file: created or truncated, and never written through a symlink. */
const WRITE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/**
 * Writes `dir`'s content (not the directory itself: its entry is `./`) as a tar stream to `out`.
 * `dir` may belong to a hostile app that changes it meanwhile: it is walked by descriptor and
 * never through a link (see held-dir.ts for why that is race-free). A symlink is archived as
 * a link (its target text); sockets, FIFOs and devices are skipped without being opened.
 */
export async function packDirectory(dir: string, out: Writable): Promise<ArchiveStats> {
  const pack = tar.pack();
  const stats: ArchiveStats = { files: 0, bytes: 0 };
  const writing = pipeline(pack, out);
  // Where the archive goes can fail first (a full disk): the walk, waiting for room to write
  // ('drain', an entry's callback), would then wait forever. The failure stops it instead.
  const stop = new AbortController();
  writing.catch((error: unknown) => stop.abort(error));
  try {
    const root = await HeldEntry.directory(dir);
    try {
      await untilAborted(entry(pack, { ...attributesOf(root), name: './', type: 'directory' }), stop.signal);
      await walk(pack, root, '', stats, stop.signal);
    } finally {
      await root.close();
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
  return stats;
}

/** `work`, or the reason `signal` was aborted for, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

async function walk(
  pack: tar.Pack,
  dir: HeldEntry,
  prefix: string,
  stats: ArchiveStats,
  signal: AbortSignal,
): Promise<void> {
  for (const name of (await dir.names()).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const held = await dir.child(name);
    if (!held) continue; // deleted while we walked
    try {
      const st = held.stat;
      if (st.isDirectory()) {
        await untilAborted(entry(pack, { ...attributesOf(held), name: `${rel}/`, type: 'directory' }), signal);
        await walk(pack, held, rel, stats, signal);
      } else if (st.isSymbolicLink()) {
        const linkname = await dir.linkTarget(name);
        if (linkname !== undefined)
          await untilAborted(entry(pack, { ...attributesOf(held), name: rel, type: 'symlink', linkname }), signal);
      } else if (st.isFile()) {
        const file = await held.read();
        try {
          const size = (await file.stat()).size;
          await fileEntry(pack, file, { ...attributesOf(held), name: rel, type: 'file', size }, signal);
          stats.files++;
          stats.bytes += size;
        } finally {
          await file.close();
        }
      }
      // Sockets, fifos and devices are not data: skipped.
    } finally {
      await held.close();
    }
  }
}

function attributesOf(held: HeldEntry): Omit<tar.Headers, 'name'> {
  const st = held.stat;
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
}

function entry(pack: tar.Pack, header: tar.Headers): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
}

/**
 * A file's bytes as of its size when opened: a file that grows meanwhile is cut at that size,
 * one that shrinks is padded with zeros, so the header never lies (tar would be unreadable).
 */
async function fileEntry(
  pack: tar.Pack,
  file: FileHandle,
  header: tar.Headers & { size: number },
  signal: AbortSignal,
): Promise<void> {
  const sink = pack.entry(header);
  const done = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  // By hand rather than stream.pipeline: pipeline does not always see tar-stream's
  // (readable-stream 3) entry sink finish, and then never settles.
  for await (const chunk of exactly(file, header.size)) {
    if (!sink.write(chunk)) await untilAborted(once(sink, 'drain'), signal);
  }
  sink.end();
  await untilAborted(done, signal);
}

async function* exactly(file: FileHandle, size: number): AsyncGenerator<Buffer> {
  let at = 0;
  while (at < size) {
    const buf = Buffer.alloc(Math.min(size - at, CHUNK));
    const { bytesRead } = await file.read(buf, 0, buf.length, at);
    if (bytesRead === 0) break;
    at += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
  while (at < size) {
    const n = Math.min(size - at, CHUNK);
    at += n;
    yield Buffer.alloc(n);
  }
}

/**
 * Extracts a tar stream into `dir` (created if missing, normally empty). Names that are
 * absolute or climb out with `..` are refused; symlinks are created last, and none under
 * another one, so no entry can be written through a link the archive itself made. `dir` must
 * be the caller's alone meanwhile (a restore extracts beside the app's directory, then swaps).
 */
export async function extractArchive(source: Readable, dir: string): Promise<ArchiveStats> {
  await mkdir(dir, { recursive: true });
  const stats: ArchiveStats = { files: 0, bytes: 0 };
  const links: { path: string; header: tar.Headers }[] = [];
  const dirs: { path: string; header: tar.Headers }[] = [];
  const asRoot = process.getuid?.() === 0;
  const extract = tar.extract();

  extract.on('entry', (header: tar.Headers, stream: Readable, next: (error?: unknown) => void) => {
    one(header, stream).then(
      () => next(),
      (error: unknown) => {
        stream.resume();
        next(error);
      },
    );
  });

  async function one(header: tar.Headers, stream: Readable): Promise<void> {
    const path = safePath(dir, header.name);
    if (header.type === 'directory') {
      await mkdir(path, { recursive: true });
      dirs.push({ path, header });
      stream.resume();
    } else if (header.type === 'file' || header.type === 'contiguous-file' || !header.type) {
      // No link exists yet (see above); O_NOFOLLOW says so once more.
      const file = await open(path, WRITE_NEW, 0o600);
      await pipeline(stream, file.createWriteStream());
      await attributes(path, header, asRoot, false);
      stats.files++;
      stats.bytes += header.size ?? 0;
    } else if (header.type === 'symlink') {
      links.push({ path, header });
      stream.resume();
    } else {
      stream.resume();
      throw new MinicloudError(
        'MC_BACKUP_DAMAGED',
        `archive entry ${header.name}: type ${header.type} is not restored`,
      );
    }
  }

  await pipeline(source, extract);
  for (const { path, header } of links) {
    await refuseLinkAbove(dir, path, header.name);
    await symlink(header.linkname ?? '', path);
    await attributes(path, header, asRoot, true);
  }
  // Deepest first: setting a directory's time after its content was written.
  for (const { path, header } of dirs.reverse()) await attributes(path, header, asRoot, false);
  return stats;
}

async function attributes(path: string, header: tar.Headers, asRoot: boolean, link: boolean): Promise<void> {
  if (asRoot && header.uid !== undefined && header.gid !== undefined) await lchown(path, header.uid, header.gid);
  if (!link && header.mode !== undefined) await chmod(path, header.mode & 0o7777);
  if (header.mtime) {
    if (link) await lutimes(path, header.mtime, header.mtime);
    else await utimes(path, header.mtime, header.mtime);
  }
}

/**
 * Links are made in archive order, so `a -> /etc` then `a/x -> ...` would make the second one
 * in /etc (and lchown/lutimes it there). No entry may lie under a link: the target directory
 * is ours alone while we extract, so what lstat says here stays true.
 */
async function refuseLinkAbove(dir: string, path: string, name: string): Promise<void> {
  const parts = relative(dir, path).split(sep).slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const above = parts.slice(0, i).join(sep);
    if ((await lstat(join(dir, above))).isSymbolicLink()) {
      throw new MinicloudError(
        'MC_BACKUP_DAMAGED',
        `archive entry ${JSON.stringify(name)} lies under the symlink ${above}: it would be made outside the directory`,
      );
    }
  }
}

function safePath(dir: string, name: string): string {
  const clean = normalize(name).replace(/\/+$/, '');
  if (name.startsWith('/') || clean === '..' || clean.startsWith(`..${sep}`) || clean.includes(`${sep}..${sep}`)) {
    throw new MinicloudError('MC_BACKUP_DAMAGED', `archive entry ${JSON.stringify(name)} points outside the directory`);
  }
  return clean === '.' || clean === '' ? dir : join(dir, clean);
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
