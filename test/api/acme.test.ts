import t from 'tap';
import { ChallengeResponses } from '@minicloud/core';
import { testApp } from './helpers/app.js';

// Issue 12: the API answers the ACME server's HTTP-01 fetch (the proxy sends it every
// /.well-known/acme-challenge/ request on port 80), without a token, and only with an answer
// the platform's own order made, for the host it was made for.

t.test('a pending token is answered for its own host only; anything else is 404', async (t) => {
  const challenges = new ChallengeResponses();
  challenges.add('shop.example.com', 'AbC_d-1', 'AbC_d-1.account-thumbprint');
  const { app } = await testApp({ acmeChallenges: challenges });
  t.teardown(() => app.close());
  const get = (host: string, token: string) =>
    app.inject({ method: 'GET', url: `/.well-known/acme-challenge/${token}`, headers: { host } });

  const ok = await get('shop.example.com', 'AbC_d-1');
  t.equal(ok.statusCode, 200, 'no token needed: the CA calls it');
  t.equal(ok.body, 'AbC_d-1.account-thumbprint');
  t.match(ok.headers['content-type'], /^text\/plain/);
  t.equal(ok.headers['cache-control'], 'no-store');

  for (const [host, token, why] of [
    ['other.example.com', 'AbC_d-1', "another app's host"],
    ['admin.example.com', 'AbC_d-1', 'the admin host'],
    ['shop.example.com', 'unknown', 'a token the platform did not make'],
    ['shop.example.com', 'AbC_d-1%2F..', 'a token that is not base64url'],
  ] as const) {
    const res = await get(host, token);
    t.equal(res.statusCode, 404, why);
    t.equal(res.body, 'no such challenge\n', why);
  }
  challenges.remove('AbC_d-1');
  t.equal((await get('shop.example.com', 'AbC_d-1')).statusCode, 404, 'gone once the order is done');
});

t.test('with ACME off every challenge is 404; the route is no part of the REST API description', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'GET',
    url: '/.well-known/acme-challenge/abc',
    headers: { host: 'x.example.com' },
  });
  t.equal(res.statusCode, 404);
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
  t.notOk(doc.paths['/.well-known/acme-challenge/{token}'], 'not among the documented routes');
});
