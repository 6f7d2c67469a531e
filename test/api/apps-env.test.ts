import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '@minicloud/api';
import { AppManager, Sensitive } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { filesHolding } from '../helpers/leftovers.js';
import { ADMIN_TOKEN, admin } from './helpers/app.js';

// `env` through the API with core's real app lifecycle (the platform's edges faked, the data
// dir real): values reach the containers but never the configuration directory (meant for
// git), the API's answers or its log; they sit in the app's 0600 secrets.

const IMAGE = 'registry.example.com/team/shop:1';
const VALUE = 'value-7f3a9c41e2';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function setup(t: Test) {
  const dataDir = t.testdir({});
  const edges = fakeAppContext(dataDir);
  edges.engine.images.set(
    IMAGE,
    'name: shop\nexpose: [{proto: http, port: 80}]\nneeds: [database]\nhealthcheck: {http: /health}\n',
  );
  const logs: string[] = [];
  const app = await buildApp({
    adminToken: new Sensitive(ADMIN_TOKEN),
    apps: new AppManager(edges.ctx),
    logStream: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
  t.teardown(() => app.close());
  return { ...edges, app, logs, config: join(dataDir, 'config'), secrets: join(dataDir, 'secrets') };
}

t.test('an app added with env SECRET=value: the value is under secrets/ (0600), nowhere in config/', async (t) => {
  const { app, engine, config, secrets, logs } = await setup(t);
  const added = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: IMAGE, env: { SECRET: VALUE } },
  });
  t.equal(added.statusCode, 201, added.body);
  t.match(added.json(), { name: 'shop', envKeys: ['SECRET'] });
  t.ok(filesUnder(config).length >= 3, 'the app has its record, stack and manifest in config/');
  t.same(filesHolding(config, VALUE), [], 'no file under config/ holds the value');
  t.match(readFileSync(join(config, 'apps', 'shop', 'app.json'), 'utf8'), /"envKeys": \[\s*"SECRET"\s*\]/);
  const found = filesHolding(secrets, VALUE).map((f) => f.slice(secrets.length + 1));
  t.same(found.sort(), ['apps/shop.env', 'apps/shop.secrets.json']);
  for (const f of found) t.equal(statSync(join(secrets, f)).mode & 0o777, 0o600, `${f} is 0600`);
  t.ok(engine.env('shop_web').includes(`SECRET=${VALUE}`), "the value is in the app's environment");

  const shown = await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: admin });
  t.notMatch(shown.body, VALUE, 'the API never shows it');
  t.notMatch(logs.join(''), VALUE, 'nor logs it');
});

t.test('a changed value redeploys the app; a rolled-back one stays out of the env file', async (t) => {
  const { app, engine, config, secrets } = await setup(t);
  const patch = (env: Record<string, string | null>) =>
    app.inject({ method: 'PATCH', url: '/v1/apps/shop?wait=true', headers: admin, payload: { env } });
  await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: IMAGE, env: { SECRET: VALUE } },
  });
  const version = () => engine.services.get('shop_web')!.Version.Index;
  const stack = () => readFileSync(join(config, 'apps', 'shop', 'docker-compose.yml'), 'utf8');
  const before = { version: version(), stack: stack() };

  const changed = await patch({ SECRET: 'second-9d2b' });
  t.match(changed.json(), { rolledBack: false, app: { envKeys: ['SECRET'] } });
  t.ok(version() > before.version, 'the service was updated');
  t.ok(engine.env('shop_web').includes('SECRET=second-9d2b'));
  t.equal(stack(), before.stack, 'the stack text is the same: it names the env file, not the value');
  t.same(filesHolding(config, 'second-9d2b'), []);
  t.match(readFileSync(join(secrets, 'apps', 'shop.env'), 'utf8'), /^SECRET=second-9d2b$/m);

  engine.rollBackNext = true;
  const failed = await patch({ SECRET: 'broken-41c0', EXTRA: 'x' });
  t.match(failed.json(), { rolledBack: true, app: { envKeys: ['SECRET'] } });
  const envFile = readFileSync(join(secrets, 'apps', 'shop.env'), 'utf8');
  t.match(envFile, /^SECRET=second-9d2b$/m, 'the env file keeps what the running version has');
  t.notMatch(envFile, 'broken-41c0');

  const removed = await patch({ SECRET: null });
  t.match(removed.json(), { rolledBack: false, app: { envKeys: [] } });
  t.notOk(
    engine.env('shop_web').some((e) => e.startsWith('SECRET=')),
    'a removed variable is gone',
  );
  t.same(filesHolding(secrets, 'second-9d2b'), []);
});

t.test('a value with a line break is refused naming the variable, and nothing is added', async (t) => {
  const { app, config, secrets, engine } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: IMAGE, env: { PEM: '-----BEGIN-----\nabc' } },
  });
  t.equal(res.statusCode, 400);
  t.match(res.json(), {
    code: 'MC_SETTINGS_INVALID',
    errors: [{ field: 'env.PEM', message: 'must be one line: an env file cannot hold a line break' }],
  });
  t.same(filesUnder(config), []);
  t.same(filesUnder(secrets), []);
  t.same([...engine.services.keys()], []);
});
