import { Sensitive } from '../../sensitive.js';

// What an app that needs redis is told: where the server is, as its own user, and the prefix
// its keys and channels must carry (any other key is refused).

export interface RedisEndpoint {
  user: string;
  password: Sensitive<string>;
  host: string;
  port: number;
}

/** redis://user:password@host:port, user and password percent-encoded (no database: there is one). */
export function redisUrl(ep: RedisEndpoint): Sensitive<string> {
  const auth = `${encodeURIComponent(ep.user)}:${encodeURIComponent(ep.password.reveal())}`;
  return new Sensitive(`redis://${auth}@${ep.host}:${ep.port}`);
}

/** REDIS_URL and REDIS_PREFIX for the app's env. */
export function redisEnv(ep: RedisEndpoint, prefix: string): { REDIS_URL: Sensitive<string>; REDIS_PREFIX: string } {
  return { REDIS_URL: redisUrl(ep), REDIS_PREFIX: prefix };
}
