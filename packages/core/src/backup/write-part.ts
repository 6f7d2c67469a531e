import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HashingStream } from './hash.js';

// How every part of a backup reaches the disk: streamed, hashed and flushed before backup.json
// names it. Shared by the need kinds' parts (needs/*/backup.ts) and the platform backup.

export const DEFAULT_GZIP_LEVEL = 6;

/** A gzip stage at the context's level (default 6). */
export function gzipStage(ctx: { gzipLevel?: number }): Transform {
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
export function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}
