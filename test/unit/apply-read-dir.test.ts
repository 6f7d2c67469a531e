import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDesiredApps, readGivenSecrets } from '@minicloud/core';
import { appRecord } from '../helpers/app-record.js';

function configDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-apply-dir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeApp(dir: string, folder: string, record: unknown): string {
  mkdirSync(join(dir, 'apps', folder), { recursive: true });
  const file = join(dir, 'apps', folder, 'app.json');
  writeFileSync(file, typeof record === 'string' ? record : JSON.stringify(record));
  return file;
}

t.test('reads each app.json as the app inputs; unfinished adds and removals are not desired', async (t) => {
  const dir = configDir(t);
  writeApp(dir, 'shop', { ...appRecord('shop', ['database']), envKeys: ['API_KEY'], runnerReplicas: { worker: 2 } });
  writeApp(dir, 'old', { ...appRecord('old', []), state: 'removing' });
  mkdirSync(join(dir, 'apps', 'half-added'), { recursive: true });
  t.same(await readDesiredApps(dir), [
    {
      name: 'shop',
      image: 'registry.example.com/shop:1',
      domains: ['shop.example.com'],
      envKeys: ['API_KEY'],
      replicas: 1,
      runnerReplicas: { worker: 2 },
      needs: ['database'],
    },
  ]);
  t.same(await readDesiredApps(join(dir, 'nowhere')), []);
});

t.test('a bad app.json names the file and the field', async (t) => {
  const dir = configDir(t);
  const file = writeApp(dir, 'shop', { ...appRecord('shop', []), replicas: 'two' });
  await t.rejects(readDesiredApps(dir), {
    code: 'MC_CONFIG_INVALID',
    message: new RegExp(`${file}: replicas must be a whole number`),
    details: [{ path: `${file}#replicas` }],
  });
  const renamed = writeApp(dir, 'shop', { ...appRecord('blog', []) });
  await t.rejects(readDesiredApps(dir), { message: new RegExp(`${renamed}: name must be "shop"`) });
  writeApp(dir, 'shop', '{ not json');
  await t.rejects(readDesiredApps(dir), { code: 'MC_CONFIG_INVALID', message: /app\.json is not valid JSON/ });
});

t.test('env values come from secrets/<app>/<NAME>, else MINICLOUD_SECRET_<APP>_<NAME>', async (t) => {
  const dir = configDir(t);
  mkdirSync(join(dir, 'secrets', 'my-shop'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'my-shop', 'API_KEY'), 'from-file\n');
  const apps = [
    { name: 'my-shop', image: 'x', domains: [], envKeys: ['API_KEY', 'TOKEN', 'OTHER'], replicas: 1, needs: [] },
  ];
  const given = await readGivenSecrets(dir, apps, {
    MINICLOUD_SECRET_MY_SHOP_API_KEY: 'ignored: the file wins',
    MINICLOUD_SECRET_MY_SHOP_TOKEN: 'from-env',
  });
  t.same(given, { 'my-shop': { API_KEY: 'from-file', TOKEN: 'from-env' } });
});
