import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, readdir, readlink, symlink, utimes } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MinicloudError } from '../errors.js';

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

/** Writes `dir`'s content (not the directory itself: its entry is `./`) as a tar stream to `out`. */
export async function packDirectory(dir: string, out: Writable): Promise<ArchiveStats> {
  const pack = tar.pack();
  const stats: ArchiveStats = { files: 0, bytes: 0 };
  const writing = pipeline(pack, out);
  try {
    const root = await lstat(dir);
    await entry(pack, {
      name: './',
      type: 'directory',
      mode: root.mode & 0o7777,
      uid: root.uid,
      gid: root.gid,
      mtime: root.mtime,
    });
    await walk(pack, dir, '', stats);
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
  return stats;
}

async function walk(pack: tar.Pack, dir: string, prefix: string, stats: ArchiveStats): Promise<void> {
  const names = (await readdir(join(dir, prefix))).sort();
  for (const name of names) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const path = join(dir, rel);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue; // deleted while we walked
    const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await entry(pack, { ...base, name: `${rel}/`, type: 'directory' });
      await walk(pack, dir, rel, stats);
    } else if (st.isSymbolicLink()) {
      await entry(pack, { ...base, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      await fileEntry(pack, path, { ...base, type: 'file', size: st.size });
      stats.files++;
      stats.bytes += st.size;
    }
    // Sockets, fifos and devices are not data: skipped.
  }
}

function entry(pack: tar.Pack, header: tar.Headers): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
}

/**
 * A file's bytes as of its size when listed: a file that grows meanwhile is cut at that size,
 * one that shrinks is padded with zeros, so the header never lies (tar would be unreadable).
 */
async function fileEntry(pack: tar.Pack, path: string, header: tar.Headers & { size: number }): Promise<void> {
  const sink = pack.entry(header);
  const done = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  // By hand rather than stream.pipeline: pipeline does not always see tar-stream's
  // (readable-stream 3) entry sink finish, and then never settles.
  for await (const chunk of exactly(path, header.size)) {
    if (!sink.write(chunk)) await once(sink, 'drain');
  }
  sink.end();
  await done;
}

async function* exactly(path: string, size: number): AsyncGenerator<Buffer> {
  let left = size;
  if (left > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: size - 1, highWaterMark: CHUNK })) {
      const buf = chunk as Buffer;
      left -= buf.length;
      yield buf;
    }
  }
  while (left > 0) {
    const n = Math.min(left, CHUNK);
    left -= n;
    yield Buffer.alloc(n);
  }
}

/**
 * Extracts a tar stream into `dir` (created if missing, normally empty). Names that are
 * absolute or climb out with `..` are refused; symlinks are created last, so no entry can be
 * written through a link the archive itself made.
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
      await pipeline(stream, createWriteStream(path, { mode: 0o600 }));
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

function safePath(dir: string, name: string): string {
  const clean = normalize(name).replace(/\/+$/, '');
  if (name.startsWith('/') || clean === '..' || clean.startsWith(`..${sep}`) || clean.includes(`${sep}..${sep}`)) {
    throw new MinicloudError('MC_BACKUP_DAMAGED', `archive entry ${JSON.stringify(name)} points outside the directory`);
  }
  return clean === '.' || clean === '' ? dir : join(dir, clean);
}
