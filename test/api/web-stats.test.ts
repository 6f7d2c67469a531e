import t from 'tap';
import { sparkline } from '../../packages/api/dist/web/sparkline.js';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

// The admin pages' stats: the app page's last-hour charts (inline SVG from the server, the
// numbers also as text) and the dashboard's server memory and disk.

t.test('sparkline: points scaled into the box, gaps break the line, a ceiling sets the top', async (t) => {
  t.same(sparkline([0, 5, 10], { width: 100, height: 12 }), {
    width: 100,
    height: 12,
    segments: ['0,11 50,6 100,1'],
    max: 10,
  });
  t.same(sparkline([2, undefined, 4, 4], { width: 30, height: 12, max: 8 }).segments, ['0,8.5 0,8.5', '20,6 30,6']);
  t.same(sparkline([], { width: 30, height: 12 }).segments, [], 'no samples, no line');
  t.same(sparkline([0, 0]).segments, ['0,59 300,59'], 'all zero: a flat line at the bottom, no division by zero');
  t.equal(sparkline([1, 200], { max: 100 }).max, 200, 'a value above the ceiling raises the top');
});

t.test("the app page shows the last hour's CPU and memory as charts, with the figures in words", async (t) => {
  const { app, apps, stats } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps/blog');
  t.equal(page.statusCode, 200);
  const svgs = [...page.body.matchAll(/<svg viewBox="0 0 300 60"[^>]*role="img" aria-label="([^"]+)"/g)];
  t.equal(svgs.length, 2, 'two charts');
  t.match(svgs[0]?.[1], /^CPU, last hour: now \d+\.\d %, highest \d+\.\d %, lowest \d+\.\d %$/);
  t.match(svgs[1]?.[1], /^Memory, last hour: now \d+ MiB, highest \d+ MiB, lowest \d+ MiB, limit 64 MiB$/);
  const lines = [...page.body.matchAll(/<polyline points="([^"]+)" class="chart-line"\/>/g)];
  t.equal(lines.length, 2, 'one unbroken line each (the first minute has no CPU: it starts later)');
  t.equal(lines[1]?.[1]?.split(' ').length, 60, 'a point a minute');
  t.match(lines[0]?.[1], /^5\.1,/, 'the CPU line starts at the second minute');
  t.match(text(page.body), /Last hour .* One sample a minute \(60 so far\)/);
  t.match(text(page.body), /web\.1 mc-mgr 12\.5 % 40 MiB \/ 64 MiB 1\.4 MiB \/ 3\.1 MiB 0/, 'the tasks now');
  t.match(page.headers['content-security-policy'], /default-src 'none'/, 'no script and no inline style needed');
  t.notMatch(page.body, /<script|style="/);

  stats.failing.add('blog');
  const without = await web.get('/apps/blog');
  t.equal(without.statusCode, 200, 'the page still shows when the stats cannot be read');
  t.notMatch(without.body, /Last hour/);
});

t.test('the dashboard shows the server: memory by node, platform and apps; the disk; each app', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = text((await web.get('/apps')).body);
  t.match(page, /Server Disk of \/data\/minicloud ?: 30 GiB used of 100 GiB \(30 %\), 65 GiB free\./);
  t.match(page, /The platform takes 12 GiB, the apps' storage 300 MiB/);
  t.match(
    page,
    /Node Memory Platform Apps Other stacks mc-mgr 4\.0 GiB 900 MiB 81 MiB 0 B mc-w1 node mc-w1 has no agent/,
  );
  t.match(page, /App Memory Storage blog 41 MiB 200 MiB shop 40 MiB 100 MiB/);
  const { app: bare } = await testApp({ stats: undefined });
  t.teardown(() => bare.close());
  const other = new WebClient(bare);
  await other.login(ADMIN_TOKEN);
  const plain = await other.get('/apps');
  t.equal(plain.statusCode, 200);
  t.notMatch(text(plain.body), /Server/, 'without stats the dashboard leaves the section out');
});
