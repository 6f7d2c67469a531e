import t from 'tap';
import { diskSpaceLevels, type PathFigures } from '@minicloud/core';
import type { DiskSpacePort } from '@minicloud/api';
import { admin, ADMIN_TOKEN, deployTokenHeaders, testApp } from './helpers/app.js';
import { WebClient } from './helpers/web.js';

// GET /v1/platform/disk and the dashboard's disk space banner (issue 15) over a fake figures
// source: the level of each filesystem, admin only, and a warning naming the path and free space.

const GIB = 1024 ** 3;
const fig = (path: string, device: number, freeBytes: number): PathFigures => ({
  path,
  device,
  totalBytes: 20 * GIB,
  freeBytes,
});

function fakeDisk(figures: PathFigures[]): DiskSpacePort {
  return { read: async () => diskSpaceLevels(figures) };
}

t.test(
  'GET /v1/platform/disk: each filesystem once, its level and reason, the worst on top (admin only)',
  async (t) => {
    const diskSpace = fakeDisk([
      fig('/data/minicloud', 1, 0.8 * GIB),
      fig('/data/minicloud/backups', 2, 15 * GIB),
      fig('/data/minicloud/storage', 1, 0.8 * GIB),
    ]);
    const { app, apps } = await testApp({ diskSpace });
    t.teardown(() => app.close());
    apps.seed('shop');
    const res = await app.inject({ method: 'GET', url: '/v1/platform/disk', headers: admin });
    t.equal(res.statusCode, 200);
    t.same(res.json(), {
      level: 'low',
      filesystems: [
        {
          paths: ['/data/minicloud', '/data/minicloud/storage'],
          totalBytes: 20 * GIB,
          freeBytes: 0.8 * GIB,
          freePercent: 4,
          level: 'low',
          reason: '/data/minicloud, /data/minicloud/storage: 0.8 GiB free of 20 GiB (4%)',
        },
        {
          paths: ['/data/minicloud/backups'],
          totalBytes: 20 * GIB,
          freeBytes: 15 * GIB,
          freePercent: 75,
          level: 'ok',
          reason: '/data/minicloud/backups: 15 GiB free of 20 GiB (75%)',
        },
      ],
    });
    t.equal((await app.inject({ method: 'GET', url: '/v1/platform/disk' })).statusCode, 401, 'no token: 401');
    const ci = await deployTokenHeaders(app, 'shop');
    const token = await app.inject({ method: 'GET', url: '/v1/platform/disk', headers: ci });
    t.equal(token.statusCode, 403, "an app's deploy token may not read the server's paths");
    const health = await app.inject({ method: 'GET', url: '/health' });
    t.notMatch(health.body, '/data', '/health names no path');
  },
);

t.test('GET /v1/platform/disk without a data dir: 503', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/v1/platform/disk', headers: admin });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'MC_UNAVAILABLE');
});

t.test('the dashboard warns of a low or critical filesystem, naming its paths and free space', async (t) => {
  const figures = [fig('/data/minicloud', 1, 15 * GIB), fig('/data/minicloud/backups', 2, 15 * GIB)];
  const { app } = await testApp({ diskSpace: { read: async () => diskSpaceLevels(figures) } });
  t.teardown(() => app.close());
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  t.notMatch((await web.get('/apps')).body, 'Disk space', 'all ok: no banner');

  figures[0] = fig('/data/minicloud', 1, 0.8 * GIB);
  figures[1] = fig('/data/minicloud/backups', 2, 0.1 * GIB);
  const page = await web.get('/apps');
  t.equal(page.statusCode, 200);
  t.match(
    page.body,
    /<div class="flash warning disk-space" role="alert">\s*<p><strong>Disk space low<\/strong>: \/data\/minicloud: 0\.8 GiB free of 20 GiB \(4%\)\.<\/p>/,
  );
  t.match(
    page.body,
    /<div class="flash error disk-space" role="alert">\s*<p><strong>Disk space critical<\/strong>: \/data\/minicloud\/backups: 0\.1 GiB free of 20 GiB \(0%\)\. Backups are refused until space is freed\.<\/p>/,
  );
});
