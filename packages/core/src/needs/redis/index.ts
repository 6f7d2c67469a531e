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
