import t from 'tap';
import { join } from 'node:path';
import { isMinicloudError, loadManifest, manifestFromText, type ErrorCode } from '@minicloud/core';

async function codeOf(promise: Promise<unknown>): Promise<[ErrorCode, string]> {
  try {
    await promise;
  } catch (error) {
    if (isMinicloudError(error)) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected an error');
}

t.test('reads each accepted file name, from the file or its directory', async (t) => {
  for (const file of ['cloud_manifest.yml', 'cloud_manifest.yaml', 'cloud_manifest.json']) {
    const text = file.endsWith('.json') ? '{"name":"viajson"}' : 'name: viayaml';
    const dir = t.testdir({ [file]: text });
    const expected = file.endsWith('.json') ? 'viajson' : 'viayaml';
    t.equal((await loadManifest(dir)).name, expected, `${file} from its directory`);
    t.equal((await loadManifest(join(dir, file))).name, expected, `${file} by path`);
  }
});

t.test('defaults are filled in', async (t) => {
  const m = manifestFromText(
    'name: app\nneeds: [storage, database]\nenv: {B: 2, A: yes}\nrunners: [{name: w, command: x}]\nhealthcheck: {command: x}',
    'm.yml',
  );
  t.same(m.needs, ['database', 'storage'], 'needs in a fixed order');
  t.same(m.env, { A: 'yes', B: '2' }, 'env values as strings, keys sorted');
  t.equal(m.storage.path, '/data');
  t.equal(m.runners[0]?.replicas, 1);
  t.equal(m.healthcheck?.interval, '30s');
  t.same(m.expose, []);
});

t.test('missing files and broken text are clear errors', async (t) => {
  const empty = t.testdir({ 'README.md': 'hi' });
  const [code, message] = await codeOf(loadManifest(empty));
  t.equal(code, 'MC_MANIFEST_NOT_FOUND');
  t.match(message, /looked for cloud_manifest.yml, cloud_manifest.yaml, cloud_manifest.json/);
  t.equal((await codeOf(loadManifest('/nonexistent/path')))[0], 'MC_MANIFEST_NOT_FOUND');

  const broken = t.testdir({ 'cloud_manifest.yml': 'name: a\nexpose: [\n' });
  const [pcode, pmessage] = await codeOf(loadManifest(broken));
  t.equal(pcode, 'MC_MANIFEST_PARSE');
  t.match(pmessage, /cloud_manifest.yml is not valid YAML: line \d+, column \d+/);

  const dup = t.testdir({ 'cloud_manifest.yml': 'name: a\nname: b\n' });
  t.match((await codeOf(loadManifest(dup)))[1], /duplicated mapping key/);

  const badJson = t.testdir({ 'cloud_manifest.json': '{"name": ' });
  t.equal((await codeOf(loadManifest(badJson)))[0], 'MC_MANIFEST_PARSE');

  // The core schema keeps YAML to what JSON can say: a date stays a string, so it is rejected as a name.
  const [dcode] = await codeOf(Promise.resolve().then(() => manifestFromText('name: 2024-01-01', 'm.yml')));
  t.equal(dcode, 'MC_MANIFEST_INVALID');
});
