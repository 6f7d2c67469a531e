import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, served, traces } from '../helpers/apps.js';
import { engineEnv, execIn, managerDocker, serviceContainerOnAnyNode } from '../helpers/engine.js';
import { api, buildAndPush, CLI, DOMAIN, httpsTo, INSTALL, sh } from '../helpers/platform.js';

// Issue 17 end to end: an app from a plain compose file, added with `minicloud app add
// --compose`: three services (web serving HTTP, a worker, a private cache with a named
// volume), needs [database] from x-minicloud. The web and the worker get DATABASE_URL, the
// private cache does not; the web is served by its domains through the proxy; rm --purge
// leaves nothing, its named volume included.
const env = engineEnv();
const docker = managerDocker(env);
const APP = 'cmp-shop';
const ALIAS = `cmp-shop-alias.${DOMAIN}`;
const VOLUME = `${APP}_cache-data`;

let file = '';

/** The compose file, on the image the tests push (the hello app without a manifest). */
function composeFile(image: string): string {
  return `
services:
  web:
    image: ${image}
    healthcheck: {test: [CMD, node, /app/healthcheck.js], interval: 3s, retries: 3, start_period: 3s}
  worker:
    image: ${image}
    command: [node, /app/worker.js, --queue, orders]
    healthcheck: {test: [CMD, "true"], interval: 3s}
  cache:
    image: ${image}
    command: [sh, -c, "touch /data/cache && exec sleep infinity"]
    volumes: [cache-data:/data]
    healthcheck: {test: [CMD, "true"], interval: 3s}
volumes:
  cache-data:
x-minicloud:
  expose: [{service: web, proto: http, port: 80}]
  needs: [database]
  domains: [${ALIAS}]
  private: [cache]
`;
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  const image = await buildAndPush('compose-app:1', undefined);
  file = join(mkdtempSync(join(tmpdir(), 'mc-compose-app-')), 'docker-compose.yml');
  writeFileSync(file, composeFile(image));
});

t.test('app add --compose: three services, the needs for the two that are not private', async (t) => {
  const add = await sh(CLI, ['app', 'add', APP, '--compose', file, '--json'], { timeout: 600_000 });
  t.equal(add.code, 0, `minicloud app add --compose: ${add.stderr.slice(-2000)}`);
  const shown = await api('GET', `/v1/apps/${APP}`);
  t.equal(shown.status, 200);
  t.match(shown.json, {
    name: APP,
    health: 'healthy',
    needs: ['database'],
    source: { kind: 'compose', routedService: 'web', volumes: ['cache-data'] },
    domains: [`${APP}.${DOMAIN}`, ALIAS],
    urls: [`https://${APP}.${DOMAIN}/`, `https://${ALIAS}/`],
  });

  for (const host of [`${APP}.${DOMAIN}`, ALIAS])
    t.match(await served(host), { app: 'hello' }, `${host} is served by the web service through the proxy`);

  const url = credentials(APP)['DATABASE_URL'];
  t.match(url, /^mysql:\/\/cmp_shop:[^@]+@mariadb:3306\/cmp_shop$/);
  for (const service of ['web', 'worker']) {
    const container = await serviceContainerOnAnyNode(`${APP}_${service}`, env);
    const printed = await execIn(container.docker, container.id, ['printenv', 'DATABASE_URL']);
    t.equal(printed.stdout, `${url}\n`, `${service} runs with the app's DATABASE_URL`);
  }
  const cache = await serviceContainerOnAnyNode(`${APP}_cache`, env);
  const none = await execIn(cache.docker, cache.id, ['sh', '-c', 'printenv DATABASE_URL || echo none']);
  t.equal(none.stdout, 'none\n', 'the private cache gets no credentials');

  const volumes = await docker.listVolumes({ filters: { name: [VOLUME] } });
  t.ok(
    (volumes.Volumes ?? []).some((v) => v.Name === VOLUME),
    `the stack made its named volume ${VOLUME}`,
  );
});

t.test('app rm --purge: nothing left, the named volume included', async (t) => {
  const rm = await sh(CLI, ['app', 'rm', APP, '--purge'], { timeout: 300_000 });
  t.equal(rm.code, 0, `minicloud app rm --purge: ${rm.stderr.slice(-2000)}`);
  t.same(await traces(APP), [], `nothing left of ${APP}`);
  const volumes = await docker.listVolumes({ filters: { name: [VOLUME] } });
  t.same(
    (volumes.Volumes ?? []).filter((v) => v.Name === VOLUME),
    [],
    'its named volume is gone',
  );
  const gone = await httpsTo(ALIAS, '/');
  t.equal(gone.status, 404, 'no longer routed');
});

t.teardown(async () => {
  await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`).catch(() => undefined);
});
