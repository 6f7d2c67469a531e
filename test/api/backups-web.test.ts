import t, { type Test } from 'tap';
import { MinicloudError } from '@minicloud/core';
import * as backupTemplates from '../../packages/api/dist/web/backup-templates.js';
import { humanAge, humanBytes } from '../../packages/api/dist/web/backups.js';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';
import { backupsApp, NEW, OLD } from './helpers/backups-app.js';
import { WebClient, text } from './helpers/web.js';

// The Backups section of an app's page and the restore confirmation, over a fake backups port.

/** backupsApp(t), and a web client logged in as the admin. */
async function setup(t: Test) {
  const { app, apps, backups } = await backupsApp(t);
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  return { app, apps, backups, web };
}

/** The Backups section of a page, as a person reads it. */
function section(html: string): string {
  const m = /<section class="card" id="backups">([\s\S]*?)<\/section>/.exec(html);
  return m ? text(m[1]!) : '';
}

t.test('the app page shows the last successful backup, its age, the list and the actions', async (t) => {
  const { web } = await setup(t);
  const page = await web.get('/apps/blog');
  t.equal(page.statusCode, 200);
  const shown = section(page.body);
  t.match(shown, new RegExp(`Last successful ${NEW} \\(9 h 0 min ago, 3\\.0 KiB\\)`));
  t.match(shown, /State ok Schedule daily/);
  t.match(shown, new RegExp(`${NEW} schedule · 3\\.0 KiB database 2\\.0 KiB storage 1\\.0 KiB`));
  t.match(shown, new RegExp(`${OLD} schedule`));
  t.match(
    page.body,
    /<form method="post" action="\/apps\/blog\/backups" class="inline">\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<button type="submit">Back up now<\/button>/,
  );
  t.match(page.body, new RegExp(`action="/apps/blog/backups/${NEW}/verify"`));
  t.match(page.body, new RegExp(`href="/apps/blog/backups/${NEW}/restore">Restore…</a>`));
  t.match(page.body, /<input id="schedule" name="schedule" value="daily">/);
  t.match(page.body, /<input id="keepDaily" name="keepDaily" value="7" inputmode="numeric">/);
  t.notMatch(
    /<section class="card" id="backups">[\s\S]*?<\/section>/.exec(page.body)![0],
    /<table/,
    'rows, not a wide table',
  );
  t.match(page.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
});

t.test('"Back up now" and "Verify" run as jobs; their pages lead back to the app', async (t) => {
  const { web, backups } = await setup(t);
  await web.get('/apps/blog');
  const started = await web.post('/apps/blog/backups');
  t.equal(started.statusCode, 303);
  t.match(started.headers.location, /^\/jobs\/[0-9a-f-]{36}$/);
  const job = await web.follow(started);
  t.match(text(job.body), /backup\.create blog State: succeeded .* dumping database/);
  t.match(job.body, /href="\/apps\/blog"/);
  await web.get('/apps/blog');
  const verify = await web.follow(await web.post(`/apps/blog/backups/${NEW}/verify`));
  t.match(text(verify.body), /backup\.verify blog State: succeeded/);
  await web.get('/apps/blog');
  const damaged = await web.follow(await web.post(`/apps/blog/backups/${OLD}/verify`));
  t.match(
    text(damaged.body),
    /State: failed .* backup blog\/20260228T030000\.000Z: part database was altered MC_BACKUP_DAMAGED/,
  );
  t.match(damaged.body, /class="flash error" role="alert"/);
  t.same(backups.calls, ['create blog', `verify blog/${NEW}`, `verify blog/${OLD}`]);
});

t.test('restore asks first: the confirmation names the backup and the target, and needs its name typed', async (t) => {
  const { web, backups } = await setup(t);
  const confirm = await web.get(`/apps/blog/backups/${NEW}/restore`);
  t.equal(confirm.statusCode, 200);
  const shown = text(confirm.body);
  t.match(shown, new RegExp(`Restore blog from backup ${NEW}\\?`));
  t.match(shown, /Parts database 2\.0 KiB storage 1\.0 KiB/);
  t.match(shown, /replaces the database, the storage and the message bus definitions/);
  t.match(confirm.body, /<option value="blog" selected>blog \(this app\)<\/option><option value="copy">copy<\/option>/);
  t.match(confirm.body, /name="backupFirst" value="true" checked/);
  t.same(backups.calls, [], 'showing the confirmation restores nothing');

  const unconfirmed = await web.post(`/apps/blog/backups/${NEW}/restore`, { into: 'blog', confirm: 'wrong' });
  t.equal(unconfirmed.statusCode, 303);
  t.equal(unconfirmed.headers.location, `/apps/blog/backups/${NEW}/restore`);
  const again = await web.follow(unconfirmed);
  t.match(
    text(again.body),
    /Type the name of the app whose data is replaced \(blog\) to restore\. confirm : must be blog/,
  );
  t.match(again.body, /role="alert"/);

  for (const csrf of [null, 'forged-token']) {
    const forged = await web.post(`/apps/blog/backups/${NEW}/restore`, { into: 'blog', confirm: 'blog' }, csrf);
    t.equal(forged.statusCode, 403, 'no restore without the CSRF token');
    t.match(text(forged.body), /This form has expired or did not come from this site/);
  }
  t.same(backups.calls, [], 'nothing restored yet');

  await web.get(`/apps/blog/backups/${NEW}/restore`);
  const done = await web.follow(
    await web.post(`/apps/blog/backups/${NEW}/restore`, { into: 'blog', confirm: 'blog', backupFirst: 'true' }),
  );
  t.match(
    text(done.body),
    /backup\.restore blog State: succeeded .* checking the checksums of blog\/20260301T030000\.000Z/,
  );
  await web.get(`/apps/blog/backups/${NEW}/restore`);
  const into = await web.follow(await web.post(`/apps/blog/backups/${NEW}/restore`, { into: 'copy', confirm: 'copy' }));
  t.match(text(into.body), /backup\.restore copy State: succeeded/);
  t.match(into.body, /href="\/apps\/copy"/);
  t.same(backups.calls, [
    `restore blog/${NEW} into blog backupFirst=true`,
    `restore blog/${NEW} into copy backupFirst=false`,
  ]);
});

t.test('a damaged backup is refused loudly, naming the part; an unknown one is a clear 404', async (t) => {
  const { web, backups } = await setup(t);
  await web.get(`/apps/blog/backups/${OLD}/restore`);
  const refused = await web.follow(
    await web.post(`/apps/blog/backups/${OLD}/restore`, { into: 'blog', confirm: 'blog' }),
  );
  const shown = text(refused.body);
  t.match(shown, /State: failed/);
  t.match(
    shown,
    /part database \(database\.sql\.gz\) .* refused MC_BACKUP_DAMAGED database : does not match its checksum/,
  );
  t.match(refused.body, /role="alert"/);
  t.same(backups.calls, []);
  const missing = await web.get('/apps/blog/backups/20250101T000000.000Z/restore');
  t.equal(missing.statusCode, 404);
  t.match(text(missing.body), /blog has no complete backup 20250101T000000\.000Z/);
  const ghost = await web.get(`/apps/ghost/backups/${NEW}/restore`);
  t.equal(ghost.statusCode, 404);
  t.match(text(ghost.body), /no app named ghost/);
});

t.test('failures are loud: a failed backup, a failed test restore, never backed up', async (t) => {
  const { web, backups } = await setup(t);
  backups.failNext = new MinicloudError('MC_BACKUP', 'mariadb-dump: Access denied for user');
  await web.get('/apps/blog');
  const failed = await web.follow(await web.post('/apps/blog/backups'));
  t.match(text(failed.body), /State: failed .* mariadb-dump: Access denied for user MC_BACKUP/);
  const page = await web.get('/apps/blog');
  t.match(section(page.body), /The last backup FAILED\. .*: mariadb-dump: Access denied for user \(MC_BACKUP\)/);
  t.match(section(page.body), /State failing/);
  t.match(page.body, /<div class="flash error" role="alert"><p><strong>The last backup FAILED\.<\/strong>/);
  const never = await web.get('/apps/copy');
  t.match(section(never.body), /No recent backup\. This app has never been backed up\. Last successful never/);
  t.match(section(never.body), /No backups yet\./);
});

t.test('the schedule form saves the policy through the API, and shows its errors', async (t) => {
  const { web, backups } = await setup(t);
  await web.get('/apps/blog');
  const saved = await web.follow(
    await web.post('/apps/blog/backups/policy', { schedule: 'daily@04:30', keepDaily: '3', keepWeekly: '2' }),
  );
  t.match(text(saved.body), /Backup policy saved\./);
  t.same(backups.policies.get('blog'), { schedule: 'daily@04:30', keep: { daily: 3, weekly: 2 }, verify: false });
  t.match(saved.body, /<input id="schedule" name="schedule" value="daily@04:30">/);
  const bad = await web.follow(await web.post('/apps/blog/backups/policy', { schedule: 'hourly', keepDaily: 'lots' }));
  t.match(text(bad.body), /invalid request body body\.keep\.daily : must be integer/);
  const badSchedule = await web.follow(
    await web.post('/apps/blog/backups/policy', { schedule: 'every 1m', verify: 'true' }),
  );
  t.match(text(badSchedule.body), /schedule "every 1m"/);
  t.match(badSchedule.body, /role="alert"/);
  t.same(backups.policies.get('blog')?.schedule, 'daily@04:30', 'a bad form changes nothing');
});

t.test('every backup value is HTML-escaped; the templates have no triple-stash', async (t) => {
  for (const [name, template] of Object.entries(backupTemplates)) {
    if (typeof template === 'string') t.notMatch(template, /\{\{\{|\{\{&/, `${name} has no unescaped output`);
  }
  const { web, backups } = await setup(t);
  backups.failures.set('blog', '<script>alert(1)</script>');
  backups.seed('blog', '20260301T050000.000Z', {
    complete: false,
    damaged: true,
    parts: [],
    bytes: 0,
    reason: '"><img src=x onerror=alert(1)>',
  });
  const page = await web.get('/apps/blog');
  t.notMatch(page.body, /<script>alert/);
  t.notMatch(page.body, /<img src=x/);
  t.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.match(page.body, /&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
  t.match(section(page.body), /20260301T050000\.000Z damaged/);
  t.notMatch(page.body, /backups\/20260301T050000\.000Z\/restore/, 'a damaged backup offers no restore');
});

t.test('without backups on the server the section says so quietly; sizes and ages read well', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const page = await web.get('/apps/blog');
  t.equal(page.statusCode, 200);
  t.match(section(page.body), /Backups are not available on this server: backups is not configured on this API server/);
  t.notMatch(page.body, /Back up now/);
  t.same([0, 900, 1536, 5 * 1024 * 1024, 3.5 * 1024 ** 3].map(humanBytes), [
    '0 B',
    '900 B',
    '1.5 KiB',
    '5.0 MiB',
    '3.5 GiB',
  ]);
  t.same([42, 720, 3 * 3600 + 300, 2 * 86400 + 4 * 3600].map(humanAge), ['42 s', '12 min', '3 h 5 min', '2 d 4 h']);
});
