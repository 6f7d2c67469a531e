import type { AppContext } from '../../apps/context.js';
import { Sensitive } from '../../sensitive.js';
import { requireAdapter } from '../adapter.js';
import type { NeedKind } from '../types.js';
import { RedisAdmin } from './admin.js';
import { redisBackup } from './backup.js';
import { REDIS_IMAGES, REDIS_MEMORY, REDIS_SERVICE } from './service.js';
import { redisEnv } from './url.js';

// The Redis need kind, and its edge (ACL rules, service config, keys-file format, admin).
export {
  REDIS_APP_ALLOWED,
  REDIS_APP_CATEGORIES,
  REDIS_APP_DENIED,
  REDIS_RESERVED_USERS,
  redisAppAclRules,
  redisNames,
  redisPasswordRule,
  redisSetUserArgs,
  type RedisAppNames,
} from './acl.js';
export { redisEnv, redisUrl, type RedisEndpoint } from './url.js';
export {
  REDIS_ACL_FILE,
  REDIS_ADMIN_USER,
  REDIS_CONFIG,
  REDIS_CONFIG_PATH,
  REDIS_HEALTHCHECK,
  REDIS_IMAGES,
  REDIS_MEMORY,
  REDIS_PASSWORD_SECRET,
  REDIS_PORT,
  REDIS_SERVICE,
  REDIS_START_PATH,
  REDIS_START_SCRIPT,
} from './service.js';
export {
  encodeDumpHeader,
  encodeDumpRecord,
  encodeDumpTrailer,
  keyWithoutPrefix,
  parseRedisDump,
  REDIS_DUMP_FORMAT,
  REDIS_DUMP_VERSION,
  type RedisDumpHeader,
  type RedisDumpRecord,
} from './dump-format.js';
export { RedisAdmin, type RedisAdminOptions } from './admin.js';

const admin = (ctx: AppContext): RedisAdmin => requireAdapter(ctx.redis, 'redis', 'Redis');

/**
 * An ACL user of its own in the shared Redis, limited to the keys and channels under its
 * prefix and to commands that cannot reach beyond them (AppContext.redis provisions it).
 * Its keys are backed up: apps keep queues and sessions there, not only caches.
 */
export const redis: NeedKind<'redis', 'redis'> = {
  name: 'redis',
  label: 'a Redis user and key prefix',
  env: ['REDIS_URL', 'REDIS_PREFIX'],
  service: {
    name: REDIS_SERVICE.name,
    image: { ...REDIS_IMAGES },
    memory: REDIS_MEMORY.limit,
    holdsShares: (ctx) => admin(ctx).holdsShares(),
  },
  credentials: true,
  shares: {
    ensure: async (ctx, app, secret) => {
      await admin(ctx).ensure(app, secret!);
    },
    drop: (ctx, app) => admin(ctx).drop(app),
    exists: (ctx, app) => admin(ctx).exists(app),
    describe: (ctx, app) => {
      const { user, prefix } = admin(ctx).names(app);
      return `Redis user ${user} (or keys under ${prefix})`;
    },
  },
  appEnv: (ctx, app, secret): Record<string, Sensitive<string>> => {
    if (!secret) return {};
    const r = admin(ctx);
    const { user, prefix } = r.names(app);
    const env = redisEnv({ user, password: secret, host: r.appHost, port: r.appPort }, prefix);
    return { REDIS_URL: env.REDIS_URL, REDIS_PREFIX: new Sensitive(env.REDIS_PREFIX) };
  },
  backup: redisBackup,
};
