import t from 'tap';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import {
  isMinicloudError,
  REDIS_APP_DENIED,
  REDIS_CONFIG,
  REDIS_START_SCRIPT,
  redisAppAclRules,
  redisNames,
  redisPasswordRule,
  redisSetUserArgs,
  Sensitive,
} from '@minicloud/core';

// The ACL an app's Redis user gets, as data. That the server enforces it is
// test/engine/provision-redis.test.ts's part.

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : String(error);
  }
};

t.test('an app maps to the user and prefix its MariaDB user would have', async (t) => {
  t.same(redisNames('my-shop'), { user: 'my_shop', prefix: 'my_shop:' });
  t.same(redisNames('a'), { user: 'a', prefix: 'a:' });
  t.match(
    codeOf(() => redisNames('default')),
    /^MC_APP_NAME_INVALID: .*"default"/,
    "the server's own user",
  );
  t.match(
    codeOf(() => redisNames('mcadmin', ['mcadmin'])),
    /^MC_APP_NAME_INVALID/,
    'the admin user',
  );
  for (const bad of ['My-Shop', 'a*', 'a:b', 'a b', 'shop\\', '-a', 'a_b', '']) {
    t.match(
      codeOf(() => redisNames(bad)),
      /^MC_APP_NAME_INVALID/,
      JSON.stringify(bad),
    );
  }
});

t.test('prefixes never contain one another: no app reaches a look-alike app by its pattern', async (t) => {
  const names = ['my', 'my-shop', 'myshop', 'my-shop2', 'my-s'].map((a) => redisNames(a).prefix);
  for (const p of names) {
    for (const q of names) if (p !== q) t.notOk(q.startsWith(p), `${p}* does not match ${q}...`);
  }
});

t.test('the rules: own keys and channels, data commands, then the denials last', async (t) => {
  const rules = redisAppAclRules('my_shop:');
  t.equal(rules[0], '~my_shop:*');
  t.same(rules.slice(1, 3), ['resetchannels', '&my_shop:*']);
  t.equal(
    rules.filter((r) => r.startsWith('~') || r.startsWith('&') || r.startsWith('%')).length,
    2,
    'one key and one channel pattern',
  );
  t.notOk(
    rules.includes('allkeys') || rules.includes('allchannels') || rules.includes('+@all') || rules.includes('~*'),
  );
  const afterGrants = (rule: string) => rules.indexOf(rule) > rules.lastIndexOf('+@connection');
  for (const c of ['-@admin', '-@dangerous']) t.ok(afterGrants(c), `${c} after the grants`);
  for (const c of ['keys', 'scan', 'flushall', 'flushdb', 'select', 'swapdb', 'move', 'randomkey', 'dbsize']) {
    t.ok(rules.includes(`-${c}`), `-${c}`);
    t.ok(rules.indexOf(`-${c}`) > rules.indexOf('+info'), `-${c} after the re-allowed commands`);
  }
  for (const c of ['function', 'fcall', 'pubsub', 'script|flush', 'script|kill', 'client|tracking', 'client|kill']) {
    t.ok(rules.includes(`-${c}`), `-${c}`);
  }
  t.notOk(
    rules.some((r) => /^\+(config|acl|debug|shutdown|monitor|keys|flushall|flushdb|scan)\b/.test(r)),
    'no admin or keyspace-wide command is granted by name',
  );
  t.same(new Set(REDIS_APP_DENIED).size, REDIS_APP_DENIED.length, 'no denial listed twice');
});

t.test('a prefix that is not an app prefix is refused, not turned into a pattern', async (t) => {
  for (const bad of ['*', 'my_shop', 'my_shop:*', 'a b:', 'a:b:', '', ':', 'My:', 'a?:', 'a[x]:']) {
    t.match(
      codeOf(() => redisAppAclRules(bad)),
      /^MC_REDIS: the key prefix/,
      JSON.stringify(bad),
    );
  }
});

t.test('the password travels as its SHA-256, never as text', async (t) => {
  const pw = new Sensitive(`p'"\`;-- é ${'x'.repeat(8)}`);
  const rule = redisPasswordRule(pw);
  t.equal(rule.reveal(), `#${createHash('sha256').update(pw.reveal(), 'utf8').digest('hex')}`);
  t.equal(String(rule), '[redacted]');
  t.match(
    codeOf(() => redisPasswordRule(new Sensitive(''))),
    /^MC_REDIS: refusing an empty password/,
  );

  const args = redisSetUserArgs(redisNames('my-shop'), pw);
  const list = args.reveal();
  t.same(list.slice(0, 5), ['ACL', 'SETUSER', 'my_shop', 'reset', rule.reveal()]);
  t.equal(list.at(-1), 'on', 'the user is switched on last');
  t.notOk(
    list.some((a) => a.includes(pw.reveal())),
    'the plain password is in no argument',
  );
  t.notOk(list.some((a) => a.startsWith('>') || a === 'nopass'));
  t.equal(inspect(args), '[redacted]');
});

t.test('the server config: small, persistent, one database, no anonymous user', async (t) => {
  const conf = Object.fromEntries(
    REDIS_CONFIG.split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]),
  );
  t.equal(conf.maxmemory, '32mb');
  t.equal(conf['maxmemory-policy'], 'volatile-lru');
  t.equal(conf.databases, '1');
  t.equal(conf.appendonly, 'yes');
  t.equal(conf.appendfsync, 'everysec');
  t.equal(conf.save, '""');
  t.equal(conf.aclfile, '/data/users.acl');
  t.equal(conf['enable-debug-command'], 'no');
  t.notOk('requirepass' in conf, 'no password in the config');
  t.match(REDIS_START_SCRIPT, /echo 'user default off resetchannels -@all'/);
  t.match(REDIS_START_SCRIPT, /sha256sum/);
  t.notMatch(REDIS_START_SCRIPT, /requirepass|--requirepass|>\$/, 'the password goes nowhere but through sha256sum');
});
