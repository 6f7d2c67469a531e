import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { BackupContext } from '../../backup/context.js';
import { gzipStage, writePart } from '../../backup/write-part.js';
import { MinicloudError } from '../../errors.js';
import { requireAdapter } from '../adapter.js';
import type { NeedBackup } from '../types.js';
import type { RedisAdmin } from './admin.js';
import { parseRedisDump } from './dump-format.js';

// The redis part: every key under the app's prefix (DUMP payloads with their absolute expiry,
// in the keys-file format of dump-format.ts), gzipped; checked by reading the whole file back
// (format, trailer and key count); restored by replacing the app's keys with the file's.

const FILE = 'redis.jsonl.gz';

const admin = (ctx: BackupContext): RedisAdmin => requireAdapter(ctx.redis, 'redis', 'Redis');

/** The number of keys in a keys file; the parser throws for one cut short or damaged. */
async function countKeys(path: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let keys = 0;
  for await (const item of parseRedisDump(lines)) if ('key' in item) keys++;
  return keys;
}

export const redisBackup: NeedBackup<'redis'> = {
  part: 'redis',
  file: FILE,
  rank: 50,

  async create({ ctx, app, progress }, path, tools) {
    const redis = admin(ctx);
    const { prefix } = redis.names(app);
    progress(`dumping the Redis keys under ${prefix}`);
    tools['redis-server'] = await redis.version();
    let keys = 0;
    const file = await writePart(path, [gzipStage(ctx)], async (head) => {
      keys = (await redis.dumpKeys(app, head)).keys;
    });
    return { name: 'redis', file: FILE, ...file, keys };
  },

  async verify({ app, id }, part, path) {
    const keys = await countKeys(path);
    if (keys !== (part.keys ?? 0)) {
      throw new MinicloudError(
        'MC_BACKUP_VERIFY',
        `test restore of ${app}/${id}: backup.json says ${part.keys ?? 0} Redis keys, the file holds ${keys}`,
        [{ path: 'keys', message: `backup.json says ${part.keys ?? 0}, the file holds ${keys}` }],
      );
    }
    return {};
  },

  async restore({ ctx, into, progress }, _part, path) {
    const redis = admin(ctx);
    progress(`loading the keys into Redis under ${redis.names(into).prefix}`);
    await redis.restoreKeys(into, createReadStream(path).pipe(createGunzip()));
    return {};
  },
};
