import t from 'tap';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

// Cookie tossing (issue 11): an app on a sibling host name (shop.example.com next to
// admin.example.com) is the same site as the admin, so its page can post forms to the admin and
// set cookies for the parent domain. fastify.inject does not enforce a browser's cookie rules
// (a sibling cannot set a `__Host-` cookie), so these tests plant whatever cookies the attacker
// could possibly get there, and prove that the server-side binding refuses the forgery anyway.

const ADMIN_HOST = 'admin.example.com';
const SIBLING = 'https://shop.example.com';

t.test("a CSRF pair from an anonymous visit, planted next to the admin's session, is refused", async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const admin = new WebClient(app);
  await admin.login(ADMIN_TOKEN);
  await admin.get('/apps/new');
  const session = admin.cookies.get('__Host-mc_session');
  t.ok(session, 'the admin has a session');

  const attacker = new WebClient(app);
  await attacker.get('/login');
  const planted = [...attacker.cookies];
  t.ok(attacker.lastCsrf, 'the attacker has a token');
  t.ok(planted.length > 0, 'and the cookies that go with it');

  // The victim's browser: its own session cookie, plus every cookie the attacker planted (and,
  // for the old setup, a `_csrf` secret), and the attacker's token in the forged form.
  const victim = new WebClient(app);
  victim.cookies.set('__Host-mc_session', session!);
  for (const [name, value] of planted) victim.cookies.set(name, value);
  victim.cookies.set('_csrf', 'planted-secret');
  for (const url of ['/apps', '/tokens', '/logout']) {
    const forged = await victim.post(url, { image: 'registry.example.com/team/hello:1', app: 'x' }, attacker.lastCsrf);
    t.equal(forged.statusCode, 403, `${url} refused`);
    t.match(text(forged.body), /This form has expired or did not come from this site/);
  }
  t.same(apps.calls, [], 'nothing changed');
  t.equal((await admin.get('/tokens')).statusCode, 200, 'the admin is still logged in (no forged log-out)');
  t.notMatch(text((await admin.get('/tokens')).body), /mcd_|[0-9a-f]{12} x/, 'no token was made');

  // The legitimate flow still works, with the admin's own token.
  await admin.get('/apps/new');
  const real = await admin.post('/apps', { image: 'registry.example.com/team/hello:1' });
  t.equal(real.statusCode, 303);
  t.match(real.headers.location, /^\/jobs\//);
});

t.test("a session's token is good for that session only", async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const one = new WebClient(app);
  const two = new WebClient(app);
  await one.login(ADMIN_TOKEN);
  await two.login(ADMIN_TOKEN);
  await one.get('/apps/new');
  await two.get('/apps/new');
  t.not(one.lastCsrf, two.lastCsrf);
  const crossed = await one.post('/apps', { image: 'registry.example.com/team/hello:1' }, two.lastCsrf);
  t.equal(crossed.statusCode, 403);
  t.same(apps.calls, []);
});

t.test('a form posted from a sibling host is refused even with a good token', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const admin = new WebClient(app, { headers: { host: ADMIN_HOST } });
  await admin.login(ADMIN_TOKEN);
  await admin.get('/apps/new');
  const headers = (h: Record<string, string>) => new WebClient(app, { headers: { host: ADMIN_HOST, ...h } });
  const forgeries: Record<string, string>[] = [
    { origin: SIBLING },
    { origin: SIBLING, 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'null' },
  ];
  for (const h of forgeries) {
    const forged = headers(h);
    for (const [k, v] of admin.cookies) forged.cookies.set(k, v);
    const res = await forged.post('/apps', { image: 'registry.example.com/team/hello:1' }, admin.lastCsrf);
    t.equal(res.statusCode, 403, JSON.stringify(h));
  }
  t.same(apps.calls, []);
  const browser = headers({ origin: `https://${ADMIN_HOST}`, 'sec-fetch-site': 'same-origin' });
  for (const [k, v] of admin.cookies) browser.cookies.set(k, v);
  const ok = await browser.post('/apps', { image: 'registry.example.com/team/hello:1' }, admin.lastCsrf);
  t.equal(ok.statusCode, 303, 'the same form from the admin host itself passes');
});

t.test('log-in CSRF: a planted pair does not log the browser in or fix its session', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const attacker = new WebClient(app, { headers: { host: ADMIN_HOST } });
  await attacker.get('/login');
  const attackerVisit = attacker.cookies.get('__Host-mc_login');
  t.match(attackerVisit, /^[A-Za-z0-9_-]{43}$/);
  t.match(
    attacker.lastSetCookie,
    [/^__Host-mc_login=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/],
    'the visit cookie is host-only, Secure, HttpOnly, SameSite',
  );

  // The victim visited the log-in page itself: its own host-only cookie, the attacker's token.
  const victim = new WebClient(app, { headers: { host: ADMIN_HOST } });
  await victim.get('/login');
  const mixed = await victim.post('/login', { token: ADMIN_TOKEN }, attacker.lastCsrf);
  t.equal(mixed.statusCode, 403, "the attacker's token does not go with the victim's visit");
  t.notOk(victim.cookies.has('__Host-mc_session'));

  // The whole pair planted (which a browser would not let a sibling do for a __Host- cookie):
  // the browser's own headers say where the form comes from.
  const planted = new WebClient(app, { headers: { host: ADMIN_HOST, origin: SIBLING, 'sec-fetch-site': 'same-site' } });
  planted.cookies.set('__Host-mc_login', attackerVisit!);
  planted.cookies.set('__Host-mc_session', 'fixed-by-the-attacker');
  const forged = await planted.post('/login', { token: 'guess' }, attacker.lastCsrf);
  t.equal(forged.statusCode, 403);

  // A real log-in never keeps a session id the browser brought.
  const fixed = new WebClient(app, { headers: { host: ADMIN_HOST } });
  await fixed.get('/login');
  fixed.cookies.set('__Host-mc_session', 'fixed-by-the-attacker');
  const ok = await fixed.post('/login', { token: ADMIN_TOKEN });
  t.equal(ok.statusCode, 303);
  t.not(fixed.cookies.get('__Host-mc_session'), 'fixed-by-the-attacker');
  const stale = new WebClient(app);
  stale.cookies.set('__Host-mc_session', 'fixed-by-the-attacker');
  t.equal((await stale.get('/apps')).statusCode, 303, 'the planted id opens nothing');
});

t.test('the old cookie names open nothing', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const admin = new WebClient(app);
  await admin.login(ADMIN_TOKEN);
  const old = new WebClient(app);
  old.cookies.set('mc_session', admin.cookies.get('__Host-mc_session')!);
  t.equal((await old.get('/apps')).statusCode, 303, 'mc_session is not read: log in again');
});
