import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, initPlatform, loadPlatformSettings, platformVersion } from '@minicloud/core';
import { initSettings } from '../helpers/init-settings.js';

// Issue 15, upgrades: one version for the platform, recorded by `platform init` in
// config/platform.json, and a downgrade refused before anything is written.

const ROOT = new URL('../../', import.meta.url);

const recorded = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'config/platform.json'), 'utf8')) as { minicloudVersion?: string };

t.test('one version: the root and every package carry the same, and the changelog has its section', async (t) => {
  const version = platformVersion();
  t.match(version, /^\d+\.\d+\.\d+/);
  for (const file of [
    'package.json',
    'packages/core/package.json',
    'packages/api/package.json',
    'packages/cli/package.json',
  ])
    t.equal((JSON.parse(readFileSync(new URL(file, ROOT), 'utf8')) as { version?: string }).version, version, file);
  const changelog = readFileSync(new URL('CHANGELOG.md', ROOT), 'utf8');
  t.match(changelog, new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
});

t.test('versions order as semver: numbers by value, a pre-release before its release', async (t) => {
  const ordered = ['0.1.0', '0.1.1', '0.2.0-rc.2', '0.2.0-rc.10', '0.2.0', '0.10.0', '1.0.0'];
  for (let i = 0; i < ordered.length; i++)
    for (let j = 0; j < ordered.length; j++)
      t.equal(Math.sign(compareVersions(ordered[i]!, ordered[j]!)), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
  t.throws(() => compareVersions('1.0', '1.0.0'), { code: 'MC_PLATFORM_INVALID', message: /"1\.0" is not a version/ });
});

t.test('init records the version that ran it; the same or a newer one goes ahead and records itself', async (t) => {
  const dir = t.testdir({});
  await initPlatform(initSettings(dir), { version: '0.1.0' });
  t.equal(recorded(dir).minicloudVersion, '0.1.0');
  await initPlatform(initSettings(dir), { version: '0.1.0' });
  t.equal(recorded(dir).minicloudVersion, '0.1.0', 'the same version again');
  const upgrade = await initPlatform(initSettings(dir), { version: '0.2.0' });
  t.equal(recorded(dir).minicloudVersion, '0.2.0', 'an upgrade records the new one');
  t.ok(upgrade.changes.some((c) => c.path === 'config/platform.json' && c.action === 'updated'));
});

t.test('a platform.json from before the version was recorded loads, and the next init records it', async (t) => {
  const dir = t.testdir({});
  await initPlatform(initSettings(dir));
  const file = join(dir, 'config/platform.json');
  const old = recorded(dir);
  delete old.minicloudVersion;
  writeFileSync(file, JSON.stringify(old));
  t.equal((await loadPlatformSettings(dir)).domain, 'example.com', 'the old file loads');
  await initPlatform(initSettings(dir));
  t.equal(recorded(dir).minicloudVersion, platformVersion(), 'migrated: the version is recorded');
});

t.test('a downgrade is refused, naming both versions and what to do, before anything is written', async (t) => {
  const dir = t.testdir({});
  await initPlatform(initSettings(dir), { version: '0.3.0' });
  const before = readFileSync(join(dir, 'config/platform.json'), 'utf8');
  await t.rejects(initPlatform({ ...initSettings(dir), domain: 'other.example' }, { version: '0.2.9' }), {
    code: 'MC_PLATFORM_DOWNGRADE',
    message:
      /installed by minicloud 0\.3\.0 .*this is minicloud 0\.2\.9: a downgrade is refused\. Run install\/install\.sh from a checkout of minicloud 0\.3\.0 or newer/,
  });
  t.equal(readFileSync(join(dir, 'config/platform.json'), 'utf8'), before, 'platform.json untouched');
  await t.rejects(initPlatform(initSettings(dir), { version: '0.3.0-rc.1' }), { code: 'MC_PLATFORM_DOWNGRADE' });
});
