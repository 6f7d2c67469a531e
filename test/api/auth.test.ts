import t from 'tap';
import { maskQuerySecrets, maskUrlCredentials } from '@minicloud/api';
import { platformVersion } from '@minicloud/core';
import { ADMIN_TOKEN, admin, testApp } from './helpers/app.js';
import { cpuTimeOf } from '../helpers/cpu-time.js';

t.test('GET /health needs no token and answers the platform version; the docs are public', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok', version: platformVersion() });
  t.match(platformVersion(), /^\d+\.\d+\.\d+/);
  t.equal((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode, 200);
});

t.test('a missing or wrong token gets 401 problem+json, logged without the token', async (t) => {
  const { app, logs } = await testApp();
  t.teardown(() => app.close());
  for (const headers of [{}, { authorization: 'Bearer wrong-token-xyz' }, { authorization: `Basic ${ADMIN_TOKEN}` }]) {
    const res = await app.inject({ method: 'GET', url: '/v1/apps', headers });
    t.equal(res.statusCode, 401);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), { status: 401, code: 'MC_UNAUTHORIZED', detail: /bearer token/ });
  }
  // Unknown routes are not revealed to strangers either.
  t.equal((await app.inject({ method: 'GET', url: '/v1/nowhere' })).statusCode, 401);
  const text = logs.join('');
  t.match(text, /"reason":"missing token"/);
  t.match(text, /"reason":"wrong token"/);
  t.notMatch(text, /wrong-token-xyz/, 'the wrong token is not logged');
  t.notMatch(text, new RegExp(ADMIN_TOKEN), 'the admin token is not logged');
});

t.test('the admin token opens every /v1 route; unknown routes are 404 problem+json', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps', headers: admin })).statusCode, 200);
  const res = await app.inject({ method: 'GET', url: '/v1/nowhere', headers: admin });
  t.equal(res.statusCode, 404);
  t.match(res.json(), { code: 'MC_NOT_FOUND' });
});

t.test('the token comparison hashes both sides (no length leak), accepting only the exact token', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  for (const token of [ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.toUpperCase(), ` ${ADMIN_TOKEN}`]) {
    const res = await app.inject({ method: 'GET', url: '/v1/apps', headers: { authorization: `Bearer ${token}` } });
    t.equal(res.statusCode, 401, `near miss ${JSON.stringify(token.slice(0, 6))}... refused`);
  }
});

t.test('logs redact credentials in URLs, webhook secrets in query strings, and auth headers', async (t) => {
  t.equal(maskUrlCredentials('mysql://app:s3cret@db:3306/app'), 'mysql://app:[redacted]@db:3306/app');
  t.equal(maskUrlCredentials('x amqp://u:p@h and redis://:p2@h'), 'x amqp://u:[redacted]@h and redis://:p2@h');
  // Found by the API fuzz: a 100 KB run of letters took 4 s (every request line is logged).
  for (const long of ['a'.repeat(100_000), 'a://b:'.repeat(20_000), `${'a'.repeat(100_000)}://u:pw@h`]) {
    const { ms, result: masked } = cpuTimeOf(() => maskUrlCredentials(long));
    t.ok(ms < 200, `${long.length} characters masked in linear time (${Math.round(ms)} ms of CPU)`);
    t.notMatch(masked, /:pw@/);
  }
  t.equal(maskQuerySecrets('/v1/hooks/hello?token=mch_abc&x=1'), '/v1/hooks/hello?token=[redacted]&x=1');
  t.equal(maskQuerySecrets('/v1/hooks/a?x=1&Token=s1&token=s2'), '/v1/hooks/a?x=1&Token=[redacted]&token=[redacted]');
  t.equal(maskQuerySecrets('/v1/hooks/a?%74ok%65n=s3'), '/v1/hooks/a?%74ok%65n=[redacted]', 'names compared decoded');
  t.equal(maskQuerySecrets('/v1/apps?wait=30&tokens=2'), '/v1/apps?wait=30&tokens=2', 'other names untouched');
  const { app, logs } = await testApp();
  t.teardown(() => app.close());
  // As written by a registry, and spelt the way the query parser still reads as `token`.
  for (const query of ['token=mch_supersecret', '%74oken=mch_supersecret', 'x=1&tok%65n=mch_supersecret']) {
    await app.inject({
      method: 'POST',
      url: `/v1/hooks/hello?${query}`,
      payload: { push_data: { tag: '2' }, repository: { repo_name: 'team/hello' } },
    });
  }
  await app.inject({ method: 'GET', url: '/v1/apps?u=amqp://user:pw123@host/', headers: admin });
  const text = logs.join('');
  t.notMatch(text, /mch_supersecret/);
  t.notMatch(text, /pw123/);
  t.match(text, /token=\[redacted\]/);
});
