import t from 'tap';
import { LoginLimit, TrustedProxy } from '@minicloud/api';
import { ADMIN_TOKEN, admin, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

// Failed log-ins per client address (bearer tokens and the log-in page share the count), and
// whose word on the client's address counts: the proxy's, never an app's.

const CLIENT = '203.0.113.7';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function clock() {
  let now = 1_000_000;
  return { now: () => now, tick: (ms: number) => (now += ms) };
}

t.test('10 wrong bearer tokens from one address, then 429 with Retry-After for any token', async (t) => {
  const time = clock();
  const { app, logs } = await testApp({ loginLimit: new LoginLimit({ now: time.now }) });
  t.teardown(() => app.close());
  const get = (headers: Record<string, string>, remoteAddress = CLIENT) =>
    app.inject({ method: 'GET', url: '/v1/apps', headers, remoteAddress });
  for (let i = 0; i < 20; i++) t.equal((await get({})).statusCode, 401, 'no token is not a guess');
  for (let i = 0; i < 10; i++) t.equal((await get(bearer(`wrong-${i}`))).statusCode, 401);
  const limited = await get(bearer('wrong-again'));
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['retry-after'], '60');
  t.match(limited.json(), { status: 429, code: 'MC_RATE_LIMITED', detail: /too many wrong tokens.*60 s/ });
  t.equal((await get(admin)).statusCode, 429, 'the right token too: guessing goes no faster');
  t.equal((await get(admin, '203.0.113.8')).statusCode, 200, 'other addresses are not affected');
  t.equal((await get(admin, '127.0.0.1')).statusCode, 200);
  time.tick(60_000);
  t.equal((await get(admin)).statusCode, 200, 'a minute later');
  t.notMatch(logs.join(''), /wrong-\d/, 'tokens are not logged');
  t.match(logs.join(''), /"ip":"203\.0\.113\.7","reason":"too many failed log-ins"/);
});

t.test('the log-in page: 10 wrong tokens, then a 429 page; the count is shared with bearer tokens', async (t) => {
  const time = clock();
  const { app } = await testApp({ loginLimit: new LoginLimit({ now: time.now }) });
  t.teardown(() => app.close());
  const web = new WebClient(app, { remoteAddress: CLIENT });
  for (let i = 0; i < 5; i++) t.equal((await web.login(`wrong-${i}`)).statusCode, 401);
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/apps', headers: bearer('x'), remoteAddress: CLIENT });
    t.equal(res.statusCode, 401);
  }
  const limited = await web.login('wrong-again');
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['retry-after'], '60');
  t.match(text(limited.body), /Too many failed log-ins from your address\. Try again in 60 seconds\./);
  t.equal((await web.login(ADMIN_TOKEN)).statusCode, 429, 'the right token too');
  t.notOk(web.cookies.has('__Host-mc_session'));
  t.equal((await new WebClient(app, { remoteAddress: '203.0.113.8' }).login(ADMIN_TOKEN)).statusCode, 303);
  t.equal((await web.login('')).statusCode, 429);
  time.tick(60_000);
  t.equal((await web.login(ADMIN_TOKEN)).statusCode, 303, 'a minute later');
});

t.test('an empty log-in form is not a failure', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app, { remoteAddress: CLIENT });
  for (let i = 0; i < 12; i++) t.equal((await web.login('')).statusCode, 401);
  t.equal((await web.login(ADMIN_TOKEN)).statusCode, 303);
});

t.test(
  'X-Forwarded-For counts only from the proxy: an app can neither dodge the limit nor lock the admin out',
  async (t) => {
    const PROXY = '10.0.1.4';
    const APP = '10.0.1.9';
    const ADMIN_IP = '198.51.100.50';
    const trusted = new TrustedProxy({ read: async () => [PROXY] });
    await trusted.refresh();
    const { app } = await testApp({ trustProxy: trusted.trust });
    t.teardown(() => app.close());
    const get = (remoteAddress: string, xff: string, token: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/apps',
        remoteAddress,
        headers: { ...bearer(token), 'x-forwarded-for': xff },
      });

    // An app on the proxy network calls the API directly, passing for the admin, then for others.
    for (let i = 0; i < 10; i++) t.equal((await get(APP, ADMIN_IP, `guess-${i}`)).statusCode, 401);
    t.equal((await get(APP, '192.0.2.123', 'guess')).statusCode, 429, 'counted as the app');
    t.equal((await get(PROXY, ADMIN_IP, ADMIN_TOKEN)).statusCode, 200, 'the admin, through the proxy, still gets in');

    // Through the proxy, a client-sent X-Forwarded-For is the left part: nginx appends the real one.
    const HOSTILE = '198.51.100.66';
    for (let i = 0; i < 10; i++) {
      t.equal((await get(PROXY, `192.0.2.${i}, ${HOSTILE}`, `guess-${i}`)).statusCode, 401);
    }
    t.equal((await get(PROXY, `192.0.2.99, ${HOSTILE}`, ADMIN_TOKEN)).statusCode, 429, 'counted as the real client');
    t.equal((await get(PROXY, ADMIN_IP, ADMIN_TOKEN)).statusCode, 200);

    // Host and scheme likewise: an app cannot make the API hand out URLs on its own host.
    const { app: apps } = await testApp({ trustProxy: trusted.trust });
    t.teardown(() => apps.close());
    const hook = async (remoteAddress: string) => {
      const res = await apps.inject({
        method: 'PUT',
        url: '/v1/apps/hello/webhook',
        remoteAddress,
        headers: {
          ...admin,
          host: 'admin.example.com',
          'x-forwarded-host': 'evil.example.com',
          'x-forwarded-proto': 'https',
        },
      });
      return String(res.json().url);
    };
    await apps.inject({
      method: 'POST',
      url: '/v1/apps?wait=true',
      headers: admin,
      payload: { image: 'registry.example.com/team/hello:1' },
    });
    t.match(await hook(APP), /^http:\/\/admin\.example\.com\/v1\/hooks\/hello\?/);
    t.match(await hook(PROXY), /^https:\/\/evil\.example\.com\/v1\/hooks\/hello\?/, 'from the proxy they count');
  },
);
