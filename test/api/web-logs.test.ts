import { request } from 'node:http';
import t from 'tap';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

// The admin page of an app's logs: filters said back on the page when bad, and "Follow live",
// a page that stays open and grows by one line per log line, with no script at all.

t.test('the logs page filters by service, count and since; a bad filter is said on the page', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps/blog/logs?tail=2');
  t.equal(page.statusCode, 200);
  t.equal((page.body.match(/GET \/ 200 &lt;request \d&gt;/g) ?? []).length, 2, 'two lines');
  t.match(page.body, /<option value="web">web<\/option>/, 'the services to choose from');
  t.match(page.body, /href="\/apps\/blog\/logs\?tail&#x3D;2&amp;follow&#x3D;1">Follow live/);
  const bad = await web.get('/apps/blog/logs?since=yesterday');
  t.equal(bad.statusCode, 200);
  t.match(text(bad.body), /querystring\.since : must be a duration back from now/);
  t.notMatch(bad.body, /<p>No log lines yet/, 'an error is not mistaken for an empty log');
});

t.test('follow live: the page stays open and each new line is appended, escaped', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const got = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(new URL('/apps/blog/logs?follow=1&tail=1', address), { headers: { cookie } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if ((body.match(/&lt;request \d+&gt;/g) ?? []).length >= 4) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          }
        });
      });
      req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
      req.end();
    },
  );
  t.equal(got.status, 200);
  t.match(got.headers, { 'content-type': /text\/html/, 'content-security-policy': /default-src 'none'/ });
  t.match(got.body, /Following: new lines appear/);
  t.match(got.body, /web\.1@mc-mgr \S+ GET \/ 200 &lt;request 0&gt;\nweb\.1@mc-mgr \S+ GET \/ 200 &lt;request 1&gt;/);
  t.notMatch(got.body, /<\/html>/, 'the page is still arriving');
  t.notMatch(got.body, /<script/i, 'no script does it');
});

t.test('the app page restarts the app (a job), with the CSRF check of every form', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  await web.get('/apps/blog');
  const forged = await web.post('/apps/blog/restart', {}, 'not-the-token');
  t.equal(forged.statusCode, 403);
  t.notOk(apps.calls.includes('restart blog'), 'a forged form restarts nothing');
  const done = await web.follow(await web.post('/apps/blog/restart'));
  t.match(text(done.body), /app\.restart blog .* succeeded .* restarting web/);
  t.ok(apps.calls.includes('restart blog'));
});
