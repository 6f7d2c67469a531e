import t from 'tap';
import { readProxyPeerAddresses } from '@minicloud/core';
import { managerDocker, engineEnv } from '../helpers/engine.js';
import { api, DOMAIN, INSTALL, platformSecret, sh } from '../helpers/platform.js';
import { AdminBrowser, fromProxyNetwork } from '../helpers/hostile-web.js';

// Issue 11, items 2 and 9 on the installed platform, tried as a hostile app would: its code on
// the shared proxy network calls the API with forged X-Forwarded-For to guess tokens without
// being limited (or to lock the admin out), and its pages plant a CSRF pair from an anonymous
// visit next to the admin's session and post a form. Each attempt is refused.

const docker = managerDocker(engineEnv());

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
});

t.test("the API trusts X-Forwarded-* from the proxy's task only", async (t) => {
  const [proxy] = await docker.listContainers({
    filters: { label: ['com.docker.swarm.service.name=minicloud_proxy'], status: ['running'] },
  });
  const proxyAddress = proxy?.NetworkSettings?.Networks?.['minicloud-proxy']?.IPAddress;
  t.ok(proxyAddress, 'the proxy runs on the proxy network');
  t.ok((await readProxyPeerAddresses(docker)).includes(proxyAddress!), "the Engine names the proxy task's address");

  // An app guesses tokens straight at the API, each time claiming another client address.
  const guesses = Array.from({ length: 11 }, (_, i) => ({
    path: '/v1/apps',
    headers: { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `198.51.100.${i + 1}` },
  }));
  const answers = await fromProxyNetwork(guesses);
  t.same(
    answers.map((a) => a.status),
    [...Array(10).fill(401), 429],
    'counted as the app itself',
  );
  t.match(answers[10]?.retryAfter, /^\d+$/);
  t.equal((await api('GET', '/v1/apps')).status, 200, 'the admin, through the proxy, is not locked out');
});

t.test('a CSRF pair planted next to the admin session does not pass (cookie tossing)', async (t) => {
  const attacker = new AdminBrowser();
  const visit = await attacker.get('/login');
  t.match(visit.setCookie, [
    /^__Host-mc_login=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
  ]);

  const admin = new AdminBrowser();
  const login = await admin.login(platformSecret('admin-token'));
  t.equal(login.status, 303);
  t.match(login.setCookie, [/^__Host-mc_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/]);

  // The admin's browser posts the app's form: its own session cookie, the planted cookies (a
  // browser would not even take a __Host- one from a sibling), the attacker's token.
  const headers: Record<string, string>[] = [{}, { origin: `https://shop.${DOMAIN}`, 'sec-fetch-site': 'same-site' }];
  for (const h of headers) {
    const victim = new AdminBrowser(h);
    victim.cookies.set('__Host-mc_session', admin.cookies.get('__Host-mc_session')!);
    for (const [k, v] of attacker.cookies) victim.cookies.set(k, v);
    victim.cookies.set('_csrf', 'planted');
    const forged = await victim.post('/tokens', { app: 'victim', description: 'forged' }, attacker.lastCsrf);
    t.equal(forged.status, 403, `refused ${JSON.stringify(h)}`);
  }
  const tokens = (await api('GET', '/v1/tokens')).json as { tokens: { description: string }[] };
  t.notOk(
    tokens.tokens.some((x) => x.description === 'forged'),
    'no deploy token was made',
  );
  t.equal((await admin.get('/apps')).status, 200, 'the admin is still logged in');
  await admin.get('/apps');
  const out = await admin.post('/logout', {});
  t.equal(out.status, 303, 'the legitimate form works');
  t.equal(out.location, '/login');
});
