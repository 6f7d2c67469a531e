import t from 'tap';
import {
  encodeDumpHeader,
  encodeDumpRecord,
  encodeDumpTrailer,
  isMinicloudError,
  keyWithoutPrefix,
  parseRedisDump,
  type RedisDumpHeader,
  type RedisDumpRecord,
} from '@minicloud/core';

// The keys file of a redis backup, written and read back without a server; the real DUMP and
// RESTORE round trip is in test/engine/provision-redis.test.ts.

const records: RedisDumpRecord[] = [
  { key: Buffer.from('session:1'), payload: Buffer.from([0, 1, 2, 255]), expireAt: 1_900_000_000_123 },
  { key: Buffer.from([0xff, 0x00, 0x0a]), payload: Buffer.from('binary key, newline in it') },
  { key: Buffer.alloc(0), payload: Buffer.from('the prefix itself is a key') },
];

const file = (rs = records, trailer = rs.length) =>
  encodeDumpHeader({ prefix: 'my_shop:', server: '7.0.15' }) +
  rs.map(encodeDumpRecord).join('') +
  encodeDumpTrailer(trailer);

async function read(text: string) {
  const out: (RedisDumpHeader | RedisDumpRecord)[] = [];
  for await (const item of parseRedisDump(text.split('\n'))) out.push(item);
  return out;
}

async function errorOf(text: string): Promise<string> {
  try {
    await read(text);
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : String(error);
  }
}

t.test('a file reads back as written: header, then each key, binary-safe, with its expiry', async (t) => {
  const text = file();
  t.equal(text.split('\n').length, records.length + 3, 'one line each, and a final newline');
  const [header, ...rest] = await read(text);
  t.same(header, { format: 'minicloud-redis-keys', version: 1, prefix: 'my_shop:', server: '7.0.15' });
  t.equal(rest.length, records.length);
  for (const [i, r] of rest.entries()) {
    const want = records[i]!;
    const got = r as RedisDumpRecord;
    t.ok(got.key.equals(want.key), `key ${i}`);
    t.ok(got.payload.equals(want.payload), `payload ${i}`);
    t.equal(got.expireAt, want.expireAt, `expiry ${i}`);
  }
});

t.test('an empty app is a header and a trailer', async (t) => {
  t.equal((await read(file([]))).length, 1);
});

t.test('a file cut short, padded or tampered with is refused as damaged', async (t) => {
  const lines = file().split('\n');
  t.match(await errorOf(lines.slice(0, 3).join('\n')), /^MC_BACKUP_DAMAGED: .*ends without its trailer/);
  t.match(await errorOf(''), /^MC_BACKUP_DAMAGED: .*no header/);
  t.match(await errorOf(file(records, 2)), /trailer counts 2 keys, the file holds 3/);
  t.match(await errorOf(`${file()}${encodeDumpRecord(records[0]!)}`), /follows the trailer/);
  t.match(await errorOf(lines.slice(1).join('\n')), /is not a minicloud-redis-keys version 1 header/);
  t.match(await errorOf(file().replace('"version":1', '"version":2')), /header/);
  t.match(await errorOf(file().replace('"k":"c2Vzc2lvbjox"', '"k":"not base64!"')), /line 2: k is not base64/);
  t.match(await errorOf(file().replace('"t":1900000000123', '"t":"soon"')), /line 2: t is neither null/);
  t.match(await errorOf(file().replace('"t":1900000000123', '"t":-5')), /line 2: t is neither null/);
  t.match(await errorOf(`${lines[0]}\n{oops\n`), /line 2: is not JSON/);
  t.match(await errorOf(`${lines[0]}\n[1]\n`), /line 2: is not an object/);
});

t.test('a key found under the prefix loses it; one outside is an error', async (t) => {
  t.same(keyWithoutPrefix(Buffer.from('my_shop:a:b'), 'my_shop:'), Buffer.from('a:b'));
  t.same(keyWithoutPrefix(Buffer.from('my_shop:'), 'my_shop:'), Buffer.alloc(0));
  for (const k of ['my_shopx:a', 'other:a', 'my_shop', '']) {
    t.throws(() => keyWithoutPrefix(Buffer.from(k), 'my_shop:'), { code: 'MC_REDIS' }, JSON.stringify(k));
  }
});
