import { MinicloudError } from '../../errors.js';

// The backup of an app's keys: redis is not treated as a mere cache (apps keep sessions,
// queues and counters in it), so an app's backup holds every key under its prefix, as DUMP
// gives it (the server's own serialisation of any type, with a checksum) and with its expiry
// as an absolute time (PEXPIRETIME), so a restored key expires when the original would have.
//
// One JSON object a line, gzipped by the backup writer: a header naming the format, the
// prefix and the server version (a DUMP payload restores only on a server of the same or a
// newer RDB version), a line per key, and a trailer with the count, so that a file cut short
// is refused. Keys are stored without the prefix and binary-safe (base64): a restore puts
// them under the prefix of the app it restores, and can write nowhere else.
//
// The keys are read one by one (SCAN, then DUMP and PEXPIRETIME for each): each key is
// consistent, the set is not one instant's snapshot (a key written during the backup may or
// may not be in it), unlike the database's single-transaction dump.

export const REDIS_DUMP_FORMAT = 'minicloud-redis-keys';
export const REDIS_DUMP_VERSION = 1;

export interface RedisDumpHeader {
  format: typeof REDIS_DUMP_FORMAT;
  version: typeof REDIS_DUMP_VERSION;
  /** The prefix the keys had (they are stored without it). */
  prefix: string;
  /** The server's version, e.g. 7.0.15. */
  server: string;
}

export interface RedisDumpRecord {
  /** The key without the app's prefix. */
  key: Buffer;
  /** Absolute expiry in ms since the epoch, or undefined for a key without one. */
  expireAt?: number;
  /** What DUMP returned. */
  payload: Buffer;
}

export const encodeDumpHeader = (header: Omit<RedisDumpHeader, 'format' | 'version'>): string =>
  `${JSON.stringify({ format: REDIS_DUMP_FORMAT, version: REDIS_DUMP_VERSION, ...header })}\n`;

export const encodeDumpRecord = (r: RedisDumpRecord): string =>
  `${JSON.stringify({ k: r.key.toString('base64'), t: r.expireAt ?? null, v: r.payload.toString('base64') })}\n`;

export const encodeDumpTrailer = (keys: number): string => `${JSON.stringify({ end: true, keys })}\n`;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function damaged(line: number, why: string): MinicloudError {
  return new MinicloudError('MC_BACKUP_DAMAGED', `the redis keys file, line ${line}: ${why}`);
}

function parseLine(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged(line, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged(line, 'is not an object');
  return value as Record<string, unknown>;
}

function base64(value: unknown, line: number, field: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw damaged(line, `${field} is not base64`);
  return Buffer.from(value, 'base64');
}

/**
 * Reads a keys file line by line: yields the header first, then each record, and throws
 * MC_BACKUP_DAMAGED for a line that is not one, or a file without its trailer or whose
 * trailer's count differs from the records read.
 */
export async function* parseRedisDump(
  lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<RedisDumpHeader | RedisDumpRecord> {
  let n = 0;
  let header: RedisDumpHeader | undefined;
  let records = 0;
  let ended = false;
  for await (const text of lines) {
    n++;
    if (text === '') continue;
    if (ended) throw damaged(n, 'follows the trailer');
    const o = parseLine(text, n);
    if (header === undefined) {
      if (o.format !== REDIS_DUMP_FORMAT || o.version !== REDIS_DUMP_VERSION) {
        throw damaged(n, `is not a ${REDIS_DUMP_FORMAT} version ${REDIS_DUMP_VERSION} header`);
      }
      if (typeof o.prefix !== 'string' || typeof o.server !== 'string')
        throw damaged(n, 'header lacks prefix or server');
      header = { format: REDIS_DUMP_FORMAT, version: REDIS_DUMP_VERSION, prefix: o.prefix, server: o.server };
      yield header;
    } else if (o.end === true) {
      if (o.keys !== records) throw damaged(n, `the trailer counts ${String(o.keys)} keys, the file holds ${records}`);
      ended = true;
    } else {
      const t = o.t;
      if (t !== null && !(typeof t === 'number' && Number.isSafeInteger(t) && t > 0)) {
        throw damaged(n, 't is neither null nor a time in ms');
      }
      // Empty is a key too: the prefix itself (`my_shop:` matches `my_shop:*`).
      const key = base64(o.k, n, 'k');
      records++;
      yield { key, payload: base64(o.v, n, 'v'), ...(t === null ? {} : { expireAt: t }) };
    }
  }
  if (header === undefined) throw damaged(n, 'the file has no header');
  if (!ended) throw damaged(n, 'the file ends without its trailer (cut short?)');
}

/** The key without `prefix`, for a key SCAN found under it. */
export function keyWithoutPrefix(key: Buffer, prefix: string): Buffer {
  const p = Buffer.from(prefix, 'utf8');
  if (key.length < p.length || !key.subarray(0, p.length).equals(p)) {
    throw new MinicloudError('MC_REDIS', `a key outside the prefix ${prefix} was listed under it`);
  }
  return key.subarray(p.length);
}
