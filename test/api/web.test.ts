import t from 'tap';
import { LAYOUT } from '../../packages/api/dist/web/templates.js';
import * as templates from '../../packages/api/dist/web/templates.js';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

t.test('pages need a session: without one they redirect to the log-in page', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  for (const url of ['/apps', '/apps/new', '/nodes', '/tokens', '/jobs', '/apps/x']) {
    const res = await web.get(url);
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, '/login');
  }
  t.equal((await web.get('/')).headers.location, '/apps');
  const login = await web.get('/login');
  t.equal(login.statusCode, 200);
  t.match(login.headers['content-type'], /text\/html/);
  t.match(login.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  t.match(login.headers['content-security-policy'], /default-src 'none'/);
  t.equal(login.headers['x-frame-options'], 'DENY');
  const css = await web.get('/static/admin.css');
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], /text\/css/);
});

t.test(
  'log in with the admin token: a __Host- cookie session (Secure, HttpOnly, SameSite); a wrong token is refused and not logged',
  async (t) => {
    const { app, logs } = await testApp();
    t.teardown(() => app.close());
    const web = new WebClient(app);
    const wrong = await web.login('not-the-token');
    t.equal(wrong.statusCode, 401);
    t.match(text(wrong.body), /That is not the admin token\./);
    t.notOk(web.cookies.has('__Host-mc_session'));
    const ok = await web.login(ADMIN_TOKEN);
    t.equal(ok.statusCode, 303);
    t.equal(ok.headers.location, '/apps');
    const session = web.lastSetCookie.find((c) => c.startsWith('__Host-mc_session='));
    t.match(session, /^__Host-mc_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    t.match(
      web.lastSetCookie.find((c) => c.startsWith('__Host-mc_login=')),
      /^__Host-mc_login=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict$/,
      "the log-in page's cookie is done with",
    );
    for (const c of web.lastSetCookie) {
      t.match(c, /^__Host-/, 'a __Host- cookie');
      t.notMatch(c, /Domain=/i, 'host-only: no Domain');
    }
    const apps = await web.get('/apps');
    t.equal(apps.statusCode, 200);
    t.match(text(apps.body), /No apps yet/);
    t.notMatch(logs.join(''), /not-the-token/);
    t.notMatch(logs.join(''), new RegExp(ADMIN_TOKEN));
    const out = await web.post('/logout');
    t.equal(out.headers.location, '/login');
    t.equal((await web.get('/apps')).statusCode, 303, 'logged out');
  },
);

t.test('forms without a valid CSRF token are refused with a clear page, and change nothing', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  await web.get('/apps/new');
  for (const csrf of [null, 'forged-token']) {
    const res = await web.post('/apps', { image: 'registry.example.com/team/hello:1' }, csrf);
    t.equal(res.statusCode, 403);
    t.match(text(res.body), /This form has expired or did not come from this site/);
  }
  const login = await new WebClient(app).post('/login', { token: ADMIN_TOKEN }, null);
  t.equal(login.statusCode, 403, 'the log-in form is protected too');
  t.same(apps.calls, []);
});

t.test('add an app from an image: the manifest is shown first, then the deploy runs as a job', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  await web.get('/apps/new');
  const preview = await web.post('/apps/new', { image: 'registry.example.com/team/shop:1' });
  t.equal(preview.statusCode, 200);
  const shown = text(preview.body);
  t.match(shown, /Deploy shop\?/);
  t.match(shown, /Needs database/);
  t.match(shown, /Exposes http 80/);
  t.same(apps.calls, [], 'nothing deployed by the preview');
  const started = await web.post('/apps', {
    image: 'registry.example.com/team/shop:1',
    name: '',
    domains: 'shop.example.com',
    replicas: '2',
  });
  t.equal(started.statusCode, 303);
  t.match(started.headers.location, /^\/jobs\/[0-9a-f-]{36}$/);
  const job = await web.follow(started);
  t.match(text(job.body), /app\.add .* State: succeeded/);
  t.match(job.body, /href="\/apps\/shop"/);
  const page = await web.get('/apps/shop');
  t.equal(page.statusCode, 200);
  t.match(text(page.body), /shop healthy/);
  t.match(page.body, /href="https:\/\/shop\.example\.com\/"/);
  t.match(apps.records.get('shop'), { replicas: 2, domains: ['shop.minicloud.localhost', 'shop.example.com'] });
  // Issue 12: each domain's certificate on the app's page, its error escaped like every value.
  apps.certificates.set('shop', [
    {
      domain: 'shop.example.com',
      issuer: 'platform-ca',
      lastAttempt: '2026-11-26T10:00:00.000Z',
      lastError: 'DNS for shop.example.com points to 203.0.113.9, not this server <b>(198.51.100.4)</b>',
      nextAttempt: '2026-11-26T10:02:00.000Z',
    },
  ]);
  const certs = await web.get('/apps/shop');
  t.match(
    text(certs.body),
    /shop\.example\.com platform-ca 2026-11-26T10:00:00\.000Z 2026-11-26T10:02:00\.000Z DNS for shop\.example\.com points to 203\.0\.113\.9, not this server/,
  );
  t.match(certs.body, /&lt;b&gt;\(198\.51\.100\.4\)&lt;\/b&gt;/, 'escaped');
  apps.certificates.delete('shop');
  const list = await web.get('/apps');
  t.match(text(list.body), /shop healthy 2\/2/);
  t.match(list.body, /<meta http-equiv="refresh" content="10">/, 'the list refreshes itself: live status');
});

t.test('errors are clear messages: a missing manifest, a bad replica count, an unknown app', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  await web.get('/apps/new');
  const none = await web.post('/apps/new', { image: 'registry.example.com/team/nothing:1' });
  t.equal(none.statusCode, 400);
  t.match(text(none.body), /image registry\.example\.com\/team\/nothing:1 has no cloud manifest/);
  t.match(none.body, /value="registry.example.com\/team\/nothing:1"/, 'what was typed stays in the form');
  const bad = await web.post('/apps/new', { image: 'NOT AN IMAGE' });
  t.match(text(bad.body), /image : must be an image reference/);
  const replicas = await web.post('/apps', { image: 'registry.example.com/team/hello:1', replicas: 'lots' });
  t.equal(replicas.statusCode, 400);
  t.match(text(replicas.body), /body\.replicas : must be an integer from 0 to 100/);
  const missing = await web.get('/apps/ghost');
  t.equal(missing.statusCode, 404);
  t.match(text(missing.body), /no app named ghost/);
});

t.test(
  'on the app page: attach a database, add and remove a domain, update, logs, tokens, webhook, remove',
  async (t) => {
    const { app, apps } = await testApp();
    t.teardown(() => app.close());
    apps.seed('blog');
    const web = new WebClient(app);
    await web.login(ADMIN_TOKEN);
    await web.get('/apps/blog');

    const attach = await web.post('/apps/blog/needs', { need: 'database' });
    const attached = await web.follow(attach);
    t.match(text(attached.body), /app\.need\.attach blog .* succeeded .* creating the database/);
    t.same(apps.records.get('blog')?.needs, ['database']);

    await web.get('/apps/blog');
    const domain = await web.follow(await web.post('/apps/blog/domains', { domain: 'blog.example.com' }));
    t.match(text(domain.body), /blog\.example\.com now routes to blog\./);
    const taken = await web.follow(await web.post('/apps/blog/domains', { domain: 'Not A Domain' }));
    t.match(text(taken.body), /invalid request body body\.domain : must be a lowercase host name/);
    const removed = await web.follow(await web.post('/apps/blog/domains/blog.example.com/remove'));
    t.match(text(removed.body), /blog\.example\.com no longer routes to blog\./);

    const update = await web.follow(
      await web.post('/apps/blog/update', { image: 'registry.example.com/blog:2', replicas: '3' }),
    );
    t.match(text(update.body), /app\.update blog .* succeeded/);
    t.match(apps.records.get('blog'), { image: 'registry.example.com/blog:2', replicas: 3 });

    const logs = await web.get('/apps/blog/logs');
    t.match(logs.body, /web\.1@mc-mgr \S+Z GET \/ 200 &lt;request 0&gt;/, 'log lines are escaped');

    await web.get('/apps/blog');
    const token = await web.follow(await web.post('/tokens', { app: 'blog', description: 'CI' }));
    t.match(
      text(token.body),
      /Deploy token [0-9a-f]{12} made: it can only update blog\. Token \(shown this once; copy it now\): mcd_/,
    );
    const shownAgain = await web.get('/apps/blog');
    t.notMatch(shownAgain.body, /mcd_/, 'the secret is shown once');
    const id = /<code>([0-9a-f]{12})<\/code> CI/.exec(shownAgain.body)?.[1];
    t.ok(id);
    const revoked = await web.follow(await web.post(`/tokens/${id}/revoke`, { back: '/apps/blog' }));
    t.match(text(revoked.body), new RegExp(`Token ${id} revoked`));
    const offsite = await web.post(`/tokens/${id}/revoke`, { back: '//evil.example.com/' });
    t.equal(offsite.headers.location, '/tokens', 'never redirected off the site');

    await web.get('/apps/blog');
    const hook = await web.follow(await web.post('/apps/blog/webhook'));
    t.match(
      text(hook.body),
      /Webhook URL \(shown this once; copy it now\): http:\/\/localhost(:80)?\/v1\/hooks\/blog\?token=mch_/,
    );

    await web.get('/apps/blog');
    const noConfirm = await web.follow(await web.post('/apps/blog/remove', { confirm: 'wrong' }));
    t.match(text(noConfirm.body), /Type the app's name \(blog\) to remove it\./);
    t.ok(apps.records.has('blog'));
    const gone = await web.follow(await web.post('/apps/blog/remove', { confirm: 'blog', purge: 'true' }));
    t.match(text(gone.body), /app\.remove blog .* succeeded/);
    t.match(gone.body, /href="\/apps"/);
    t.notOk(apps.records.has('blog'));
    t.ok(apps.calls.includes('remove blog purge=true'));
  },
);

t.test('nodes page: list, drain and activate, labels, the join command shown once', async (t) => {
  const { app, nodes } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/nodes');
  t.match(text(page.body), /mgr1abcdef01 vm \(leader\) manager ready active 10\.0\.0\.1/);
  const drained = await web.follow(await web.post('/nodes/wrk1abcdef012345', { availability: 'drain' }));
  t.match(text(drained.body), /Node drained/);
  t.equal(nodes.nodes[1]?.availability, 'drain');
  t.match(drained.body, /name="availability" value="active"/, 'a drained node offers Activate');
  const labelled = await web.follow(
    await web.post('/nodes/labels', { node: 'wrk1abcdef012345', labels: 'disk=ssd zone=' }),
  );
  t.match(text(labelled.body), /Labels changed\./);
  t.same(nodes.nodes[1]?.labels, { disk: 'ssd' });
  const badLabels = await web.follow(await web.post('/nodes/labels', { node: 'wrk1abcdef012345', labels: 'oops' }));
  t.match(text(badLabels.body), /"oops" is not key=value/);
  const join = await web.follow(await web.post('/nodes/join-command'));
  t.match(text(join.body), /Join command \(shown this once; copy it now\): curl -fsSL/);
});

t.test('every table sits in a box of its own that scrolls: no table widens a phone screen', async (t) => {
  // The browser test measures a few pages; this holds every table, whatever data it has.
  let tables = 0;
  for (const [name, template] of Object.entries(templates)) {
    if (typeof template !== 'string') continue;
    for (const m of template.matchAll(/<table[\s>]/g)) {
      tables++;
      const before = template.slice(0, m.index).trimEnd();
      t.ok(before.endsWith('<div class="scroll">'), `${name}: the table at offset ${m.index} is in div.scroll`);
    }
  }
  t.ok(tables >= 7, `${tables} tables checked`);
  const css = (templates as Record<string, unknown>)['CSS'] as string;
  t.match(css, /\.scroll\{overflow-x:auto\}/, 'div.scroll scrolls sideways');
});

t.test('every value is HTML-escaped: templates have no triple-stash, hostile strings render inert', async (t) => {
  for (const [name, template] of Object.entries(templates)) {
    if (typeof template === 'string') t.notMatch(template, /\{\{\{|\{\{&/, `${name} has no unescaped output`);
  }
  t.match(LAYOUT, /\{\{> @partial-block\}\}/);
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const evil = apps.seed('evil');
  apps.records.set('evil', {
    ...apps.records.get('evil')!,
    envKeys: ['<script>alert(1)</script>'],
    image: '"><img src=x onerror=alert(1)>',
  });
  t.ok(evil);
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps/evil');
  t.notMatch(page.body, /<img src=x/);
  t.match(page.body, /&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
  t.notMatch(page.body, /<script>alert/);
});

t.test('the app page offers postgres and redis, and shows them once attached', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('kv');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps/kv');
  for (const need of ['postgres', 'redis']) t.match(page.body, `<option value="${need}">${need}</option>`);
  for (const need of ['postgres', 'redis']) {
    await web.follow(await web.post('/apps/kv/needs', { need }));
    await web.get('/apps/kv');
  }
  t.same(apps.records.get('kv')?.needs, ['postgres', 'redis']);
  const shown = await web.get('/apps/kv');
  for (const need of ['postgres', 'redis']) {
    t.match(shown.body, `action="/apps/kv/needs/${need}/detach"`, `${need} is shown with its detach form`);
    t.notMatch(shown.body, `<option value="${need}">`, `${need} is no longer offered`);
  }
});

t.test('add an app from a compose file, see its file on its page, and update it there', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const form = await web.get('/apps/new');
  t.match(form.body, /<form method="post" action="\/apps\/compose"/, 'the new-app page offers a compose file');
  const file = (tag: string) =>
    `services:\r\n  front:\r\n    image: registry.example.com/team/shop:${tag}\r\n` +
    'x-minicloud:\r\n  expose: [{service: front, proto: http, port: 8080}]\r\n  needs: [database]\r\n';

  const broken = await web.post('/apps/compose', { name: 'shop', compose: 'services: [not, a, map]\n' });
  t.equal(broken.statusCode, 400, 'a broken file is refused');
  t.match(text(broken.body), /MC_COMPOSE_INVALID|services/, 'naming what is wrong');
  t.match(broken.body, /services: \[not, a, map\]/, 'and the text stays in the form to fix');
  t.same(apps.calls, [], 'nothing deployed');

  const started = await web.post('/apps/compose', { name: 'shop', compose: file('1') });
  t.equal(started.statusCode, 303);
  const job = await web.follow(started);
  t.match(text(job.body), /app\.add .* State: succeeded/);
  t.match(apps.records.get('shop'), { source: { kind: 'compose', routedService: 'front' }, needs: ['database'] });
  t.equal(
    apps.composeFiles.get('shop'),
    file('1').replace(/\r\n/g, '\n'),
    "the file as typed, the browser's CRLFs made LF",
  );

  const page = await web.get('/apps/shop');
  t.match(
    page.body,
    /<textarea id="compose" name="compose"[^>]*>services:\n {2}front:/,
    'the update form holds its file',
  );
  t.notMatch(page.body, /<input id="image" name="image"/, 'not an image field: its images are in the file');
  const updated = await web.post('/apps/shop/update', { compose: file('2') });
  t.equal(updated.statusCode, 303);
  await web.follow(updated);
  t.match(
    apps.calls.at(-1),
    /^update shop \{"compose":"services:\\n {2}front:\\n {4}image: registry.example.com\/team\/shop:2/,
  );
});
