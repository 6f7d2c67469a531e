import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppManager,
  compileStack,
  composeOfCompiled,
  manifestFromText,
  Sensitive,
  toDesiredStack,
  type AppRecord,
  type CompiledStack,
} from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { filesHolding } from '../helpers/leftovers.js';

// The operator's env values (API keys) live with the app's credentials in the secrets dir;
// the configuration directory keeps only their names. Records written by an earlier version
// held the values: they move on start-up, or on first use.

const SECRET = 'sk_live_0123456789abcdef';
const manifest = manifestFromText(
  'name: shop\nexpose: [{proto: http, port: 80}]\nneeds: [database]\nenv: {SHARED: from-image, MODE: prod}\n' +
    'healthcheck: {http: /health}\n',
  'cloud_manifest.yml',
);

/** Every file under dir (relative path -> text), to grep for a value. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path.slice(dir.length + 1), readFileSync(path, 'utf8'));
  }
  return out;
}

/** The spec hash of each service, for a stack and the env file text it reads. */
function hashes(stack: CompiledStack, envFile: string): string[] {
  const inputs = { envFiles: stack.credentialsFile ? { [stack.credentialsFile]: envFile } : {}, files: {} };
  return toDesiredStack(stack.name, composeOfCompiled(stack), inputs).services.map((s) => s.hash);
}

function envOf(stack: CompiledStack, envFile: string): string[] {
  const inputs = { envFiles: stack.credentialsFile ? { [stack.credentialsFile]: envFile } : {}, files: {} };
  const spec = toDesiredStack(stack.name, composeOfCompiled(stack), inputs).services[0]!.spec as unknown as {
    TaskTemplate: { ContainerSpec: { Env: string[] } };
  };
  return spec.TaskTemplate.ContainerSpec.Env;
}

const DB_URL = 'DATABASE_URL=mysql://shop:pw@mariadb:3306/shop\n';

/** An app directory as the previous version wrote it: env values in app.json and the stack. */
function oldFormatApp(dataDir: string, name: string, env: Record<string, string>) {
  const settings = {
    image: `registry.example.com/${name}:1`,
    name,
    baseDomain: 'example.com',
    dataDir,
    secretsDir: join(dataDir, 'secrets', 'apps'),
    env,
  };
  const stack = compileStack(manifest, settings);
  const dir = join(dataDir, 'config', 'apps', name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(dataDir, 'secrets', 'apps'), { recursive: true, mode: 0o700 });
  const record = {
    name,
    image: settings.image,
    domains: stack.domains,
    env,
    replicas: 1,
    needs: ['database'],
    manifest,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  writeFileSync(join(dir, 'cloud_manifest.yml'), 'name: shop\n');
  writeFileSync(join(dir, 'backup-policy.json'), '{"schedule":"daily"}\n');
  writeFileSync(join(dir, 'docker-compose.yml'), stack.yaml);
  writeFileSync(join(dir, 'app.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dataDir, 'secrets', 'apps', `${name}.secrets.json`), '{"database":"pw"}\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'secrets', 'apps', `${name}.env`), DB_URL, { mode: 0o600 });
  return stack;
}

t.test('a changed value in the env file changes the spec hash (a redeploy); the stack text does not', async (t) => {
  const stack = compileStack(manifest, { image: 'registry.example.com/shop:1', secretEnv: ['API_KEY'] });
  const before = hashes(stack, `${DB_URL}API_KEY=one\n`);
  const after = hashes(stack, `${DB_URL}API_KEY=two\n`);
  t.not(before[0], after[0], 'the web service is updated');
  t.same(hashes(stack, `${DB_URL}API_KEY=one\n`), before, 'the same value changes nothing');
  t.same(envOf(stack, `${DB_URL}API_KEY=one\n`), [
    'API_KEY=one',
    'DATABASE_URL=mysql://shop:pw@mariadb:3306/shop',
    'MODE=prod',
    'SHARED=from-image',
  ]);
  const overridden = compileStack(manifest, { image: 'registry.example.com/shop:1', secretEnv: ['SHARED'] });
  t.match(
    envOf(overridden, `${DB_URL}SHARED=operator\n`),
    ['DATABASE_URL=mysql://shop:pw@mariadb:3306/shop', 'MODE=prod', 'SHARED=operator'],
    "the operator's value wins over the image's",
  );
});

t.test('the store keeps env values in the 0600 secrets, and reads an old record without them', async (t) => {
  const dataDir = t.testdir({});
  const { store } = fakeAppContext(dataDir);
  oldFormatApp(dataDir, 'shop', { API_KEY: SECRET });
  const stored = await store.readStored('shop');
  t.same(stored.legacyEnv, { API_KEY: SECRET });
  t.same(stored.record.envKeys, ['API_KEY']);
  t.notOk('env' in stored.record, 'the values are not part of the record');
  t.notMatch(JSON.stringify(await store.read('shop')), SECRET);
  t.notMatch(JSON.stringify(await store.list()), SECRET);

  await store.writeSecrets('blog', { env: { K: new Sensitive('v1') } }, new Sensitive('K=v1\n'));
  t.equal((await store.readSecrets('blog')).env?.['K']?.reveal(), 'v1');
  for (const file of ['blog.secrets.json', 'blog.env'])
    t.equal(statSync(join(dataDir, 'secrets', 'apps', file)).mode & 0o777, 0o600, `${file} is 0600`);
});

t.test('start-up moves the values of an old-format app dir out of config/, once', async (t) => {
  const dataDir = t.testdir({});
  const { ctx, store } = fakeAppContext(dataDir);
  const old = oldFormatApp(dataDir, 'shop', { API_KEY: SECRET, SHARED: 'operator' });
  oldFormatApp(dataDir, 'blog', {});
  t.match(old.yaml, SECRET, 'the old stack held the value');
  const config = join(dataDir, 'config');
  t.same(filesHolding(config, SECRET), [
    join(config, 'apps/shop/app.json'),
    join(config, 'apps/shop/docker-compose.yml'),
  ]);

  const manager = new AppManager(ctx);
  t.same(await manager.upgradeStoredEnv(), [{ app: 'blog' }, { app: 'shop' }]);
  t.same(filesHolding(config, SECRET), [], 'no file under config/ holds the value');
  t.same(filesHolding(config, 'operator'), []);
  const envFile = join(dataDir, 'secrets', 'apps', 'shop.env');
  t.equal(readFileSync(envFile, 'utf8'), `${DB_URL}API_KEY=${SECRET}\nSHARED=operator\n`);
  t.equal(statSync(envFile).mode & 0o777, 0o600);
  t.match(JSON.parse(readFileSync(join(dataDir, 'secrets', 'apps', 'shop.secrets.json'), 'utf8')), {
    database: 'pw',
    env: { API_KEY: SECRET, SHARED: 'operator' },
  });
  const record = JSON.parse(readFileSync(join(config, 'apps', 'shop', 'app.json'), 'utf8')) as AppRecord;
  t.same(record.envKeys, ['API_KEY', 'SHARED']);
  t.equal(readFileSync(join(config, 'apps', 'shop', 'backup-policy.json'), 'utf8'), '{"schedule":"daily"}\n');

  // The running service is not restarted by the move: it gets the same environment.
  const stackYaml = readFileSync(join(config, 'apps', 'shop', 'docker-compose.yml'), 'utf8');
  const moved = { ...old, yaml: stackYaml, credentialsFile: envFile };
  t.same(hashes(moved, readFileSync(envFile, 'utf8')), hashes(old, DB_URL), 'same spec hash as before the move');

  const snapshot = [...filesUnder(dataDir)];
  t.same(await manager.upgradeStoredEnv(), [], 'a second start moves nothing');
  t.same([...filesUnder(dataDir)], snapshot, 'and changes no file');
  t.same(await store.readStored('blog'), { record: await store.read('blog') }, 'an empty env is now the new format');
});

t.test('an old record is moved on first use; one with a line break is refused until it is updated', async (t) => {
  const dataDir = t.testdir({});
  const { ctx, engine } = fakeAppContext(dataDir);
  oldFormatApp(dataDir, 'shop', { API_KEY: SECRET });
  const manager = new AppManager(ctx);
  await manager.addDomain('shop', 'www.shop.example');
  t.same(filesHolding(join(dataDir, 'config'), SECRET), [], 'moved before the change was written');
  t.ok(engine.env('shop_web').includes(`API_KEY=${SECRET}`), 'the deploy gave the app its value');

  oldFormatApp(dataDir, 'blog', { PEM: '-----BEGIN KEY-----\nabc', OTHER: 'x' });
  const [result] = await manager.upgradeStoredEnv();
  t.match(result, {
    app: 'blog',
    error: { code: 'MC_SETTINGS_INVALID', message: /line break.*app update --env/, details: [{ path: 'env.PEM' }] },
  });
  t.notMatch(result!.error!.message, 'BEGIN', 'the error holds no value');
  await t.rejects(manager.attachNeed('blog', 'storage'), { code: 'MC_SETTINGS_INVALID' });
  const updated = await manager.update('blog', { env: { PEM: 'LS0tLS1CRUdJTg==' } });
  t.same(updated.app.envKeys, ['OTHER', 'PEM']);
  t.same(filesHolding(join(dataDir, 'config'), 'LS0tLS1CRUdJTg=='), []);
  t.same(await manager.upgradeStoredEnv(), [], 'nothing left to move');
});
