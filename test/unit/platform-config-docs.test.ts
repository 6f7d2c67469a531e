import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_GITIGNORE, CONFIG_README, initPlatform } from '@minicloud/core';
import { initSettings } from '../helpers/init-settings.js';

// platform init makes the configuration directory git-ready: config/.gitignore (secrets,
// credentials, keys, backups) and config/README.md, written only when absent or still ours.

const doc = (changes: { path: string; action: string }[], name: string) =>
  changes.find((c) => c.path === `config/${name}`)?.action;

t.test('init writes .gitignore and README.md once; a second init changes nothing', async (t) => {
  const dir = t.testdir({});
  const first = await initPlatform(initSettings(dir));
  t.equal(doc(first.changes, '.gitignore'), 'created');
  t.equal(doc(first.changes, 'README.md'), 'created');
  const ignore = readFileSync(join(dir, 'config/.gitignore'), 'utf8');
  t.equal(ignore, CONFIG_GITIGNORE);
  for (const pattern of ['secrets/', '*.key', '*.env', 'backups/']) t.match(ignore, `\n${pattern}\n`);
  t.match(readFileSync(join(dir, 'config/README.md'), 'utf8'), 'git pull && minicloud apply');
  const second = await initPlatform(initSettings(dir));
  t.ok(
    second.changes.every((c) => c.action === 'kept'),
    'nothing changes',
  );
});

t.test('an install from before them gets both at its next init', async (t) => {
  const dir = t.testdir({});
  await initPlatform(initSettings(dir));
  rmSync(join(dir, 'config/.gitignore'));
  rmSync(join(dir, 'config/README.md'));
  // platform.json as an earlier version wrote it: no configDocs.
  const file = join(dir, 'config/platform.json');
  const { configDocs: _dropped, ...older } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, `${JSON.stringify(older, null, 2)}\n`);
  const next = await initPlatform(initSettings(dir));
  t.equal(doc(next.changes, '.gitignore'), 'created');
  t.equal(doc(next.changes, 'README.md'), 'created');
  t.equal(doc(next.changes, 'platform.json'), 'updated', 'which records them as ours');
});

t.test('a README the operator wrote or edited is never written over', async (t) => {
  const dir = t.testdir({ config: { 'README.md': '# our platform\n' } });
  const first = await initPlatform(initSettings(dir));
  t.equal(doc(first.changes, 'README.md'), 'customized', 'one that was there before init is theirs');
  t.equal(readFileSync(join(dir, 'config/README.md'), 'utf8'), '# our platform\n');

  const other = t.testdir({});
  await initPlatform(initSettings(other));
  writeFileSync(join(other, 'config/README.md'), `${CONFIG_README}\nOur notes.\n`);
  const edited = await initPlatform(initSettings(other));
  t.equal(doc(edited.changes, 'README.md'), 'customized');
  t.match(readFileSync(join(other, 'config/README.md'), 'utf8'), 'Our notes.');
  const again = await initPlatform(initSettings(other));
  t.equal(doc(again.changes, 'README.md'), 'customized', 'and stays theirs');
  t.equal(doc(again.changes, 'platform.json'), 'kept');
});
