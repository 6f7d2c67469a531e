import t from 'tap';
import { inspect } from 'node:util';
import { redisEnv, redisNames, redisUrl, Sensitive } from '@minicloud/core';

t.test('REDIS_URL: user and password percent-encoded, no database; REDIS_PREFIX beside it', async (t) => {
  const password = new Sensitive(`p@ss:w/rd?#%'"é`);
  const url = redisUrl({ user: 'my_shop', password, host: 'redis', port: 6379 });
  t.equal(url.reveal(), `redis://my_shop:${encodeURIComponent(password.reveal())}@redis:6379`);
  const parsed = new URL(url.reveal());
  t.equal(parsed.protocol, 'redis:');
  t.equal(decodeURIComponent(parsed.username), 'my_shop');
  t.equal(decodeURIComponent(parsed.password), password.reveal(), 'a URL parser gives the password back');
  t.equal(parsed.host, 'redis:6379');
  t.equal(parsed.pathname, '', 'no database index: the server has one');
  t.equal(inspect(url), '[redacted]');

  const { user, prefix } = redisNames('my-shop');
  const env = redisEnv({ user, password, host: 'redis', port: 6379 }, prefix);
  t.equal(env.REDIS_PREFIX, 'my_shop:');
  t.equal(env.REDIS_URL.reveal(), url.reveal());
  t.notMatch(JSON.stringify(env), password.reveal());
});
