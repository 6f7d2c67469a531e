import t from 'tap';
import { existsSync } from 'node:fs';
import { dockerCli, engineEnv, managerDocker, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, CLI, DATA, DOMAIN, INSTALL, sh } from '../helpers/platform.js';
import { credentials, probe, served, traces } from '../helpers/apps.js';

// Issue 18 end to end, on the installed test platform through its admin API: an app removed
// and added again under the same name at once, a failed add retried at once, a purge while
// the shared MariaDB is down (the app stays listed as removing until a second remove finishes
// it), and data an earlier app of the name left (refused, adopted, or dropped first).
const env = engineEnv();
const docker = managerDocker(env);
const APP = 'rmadd';
const HOST = `${APP}.${DOMAIN}`;
let GOOD = '';
let CRASHING = '';

interface Problem {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

const MANIFEST = [
  `name: ${APP}`,
  'expose: [{proto: http, port: 80}]',
  'needs: [database, messagebus, storage]',
  'healthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}',
].join('\n');

/** With the app's DATABASE_URL: rows of its `kept` table (-1: no such table), after inserting `insert`. */
const ROWS = `
const mysql = require('mysql2/promise');
(async () => {
  const c = await mysql.createConnection(process.env.URL);
  try {
    if (process.env.INSERT) { await c.query('CREATE TABLE IF NOT EXISTS kept (v TEXT)'); await c.query('INSERT INTO kept VALUES (?)', [process.env.INSERT]); }
    try { const [rows] = await c.query('SELECT v FROM kept'); console.log(JSON.stringify({ rows: rows.map((r) => r.v) })) }
    catch (e) { console.log(JSON.stringify({ rows: null, error: e.code })) }
  } finally { await c.end() }
})();`;

async function rows(insert?: string): Promise<unknown> {
  const url = credentials(APP)['DATABASE_URL']!;
  return (await probe(ROWS, { URL: url, ...(insert ? { INSERT: insert } : {}) }))['rows'];
}

async function add(body: Record<string, unknown> = {}) {
  return api('POST', '/v1/apps?wait=true', { image: GOOD, name: APP, ...body });
}

async function removeQuietly(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
    if (res.status === 204 || res.status === 404) return;
  }
}

/** Running tasks of a platform service. */
async function running(service: string): Promise<number> {
  const tasks = (await docker.listTasks({ filters: { service: [service] } })) as { Status?: { State?: string } }[];
  return tasks.filter((task) => task.Status?.State === 'running').length;
}

async function scaleMariaDb(replicas: number): Promise<void> {
  await dockerCli(['service', 'scale', '--detach', `minicloud_mariadb=${replicas}`]);
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  GOOD = await buildAndPush(`${APP}:1`, MANIFEST);
  CRASHING = await buildAndPush(
    `${APP}-crashing:1`,
    `${MANIFEST}\nrunners: [{name: crash, command: ["sh", "-c", "exit 3"]}]\n`,
  );
  await removeQuietly();
});

t.teardown(async () => {
  await scaleMariaDb(1);
  await waitFor('mariadb to run', async () => ((await running('minicloud_mariadb')) >= 1 ? true : undefined), 180_000);
  await removeQuietly();
});

t.test('rm --purge and add of the same name with no pause, 3 times: each converges and is served', async (t) => {
  const first = await add();
  t.equal(first.status, 201, JSON.stringify(first.json).slice(0, 500));
  for (let round = 1; round <= 3; round++) {
    const removed = await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
    t.equal(removed.status, 204, `round ${round}: removed ${JSON.stringify(removed.json ?? '').slice(0, 300)}`);
    const again = await add();
    t.equal(again.status, 201, `round ${round}: added at once ${JSON.stringify(again.json).slice(0, 500)}`);
    t.match(again.json, { name: APP, state: 'active', health: 'healthy' });
    t.match(await served(HOST), { app: 'hello' }, `round ${round}: served`);
  }
});

t.test('a failed add leaves the name free: the same add with a good image at once succeeds', async (t) => {
  t.equal((await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`)).status, 204);
  const failed = await api('POST', '/v1/apps?wait=true', { image: CRASHING, name: APP });
  t.equal(failed.status, 502, JSON.stringify(failed.json).slice(0, 300));
  t.equal((failed.json as Problem).code, 'MC_DEPLOY_FAILED');
  t.same(await traces(APP), [], 'the undo left nothing: record, stack, database, vhost, storage, secrets');
  const retried = await add();
  t.equal(retried.status, 201, `retried at once: ${JSON.stringify(retried.json).slice(0, 500)}`);
  t.match(await served(HOST), { app: 'hello' });
});

t.test('an add over data an earlier app left: refused and nothing changed; then adopt, or purge-old', async (t) => {
  t.same(await rows('from the first app'), ['from the first app']);
  const kept = await api('DELETE', `/v1/apps/${APP}?wait=true`);
  t.equal(kept.status, 204, 'removed without purge');
  const before = await traces(APP);
  t.same(before, ['credentials file', 'storage dir', 'database', 'database user', 'vhost'], 'its data is kept');

  const refused = await add();
  t.equal(refused.status, 409, JSON.stringify(refused.json).slice(0, 500));
  const problem = refused.json as Problem;
  t.equal(problem.code, 'MC_APP_DATA_EXISTS');
  t.match(problem.detail, /database rmadd \(or its user\), vhost rmadd \(or its user\), storage directory of rmadd/);
  t.match(problem.detail, /--adopt.*--purge-old/s);
  t.same(
    (problem.errors ?? []).map((e) => e.field),
    ['database', 'messagebus', 'storage'],
  );
  t.same(await traces(APP), before, 'nothing changed');

  const both = await add({ adopt: true, purgeOld: true });
  t.equal(both.status, 400);
  t.match(both.json, {
    code: 'MC_SETTINGS_INVALID',
    errors: [{ field: 'purgeOld', message: 'cannot be combined with adopt' }],
  });

  const adopted = await add({ adopt: true });
  t.equal(adopted.status, 201, JSON.stringify(adopted.json).slice(0, 500));
  t.same(await rows(), ['from the first app'], 'adopt keeps the old rows, reachable with the new password');

  t.equal((await api('DELETE', `/v1/apps/${APP}?wait=true`)).status, 204);
  const fresh = await add({ purgeOld: true });
  t.equal(fresh.status, 201, JSON.stringify(fresh.json).slice(0, 500));
  t.same(await rows(), null, 'purge-old starts empty: no table');
  t.match(await served(HOST), { app: 'hello' });
});

t.test(
  'a purge while MariaDB is down: the app stays removing, refuses changes, and rm --purge again finishes',
  async (t) => {
    await scaleMariaDb(0);
    await waitFor('mariadb to stop', async () => ((await running('minicloud_mariadb')) === 0 ? true : undefined));
    const started = Date.now();
    const failed = await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
    const waited = Date.now() - started;
    t.equal(failed.status, 502, JSON.stringify(failed.json).slice(0, 800));
    const problem = failed.json as Problem;
    t.equal(problem.code, 'MC_APP_REMOVE_INCOMPLETE');
    t.match(problem.detail, /database could not be removed.*`minicloud app rm rmadd --purge` again/s);
    t.match(problem.errors, [
      { field: 'database', message: /MC_SERVICE_UNAVAILABLE: MariaDB at mariadb:3306 could not be reached for 60 s/ },
    ]);
    t.ok(waited >= 55_000, `it waited for MariaDB (${Math.round(waited / 1000)} s)`);

    const listed = await api('GET', '/v1/apps');
    t.match(
      (listed.json as { apps: unknown[] }).apps.find((a) => (a as { name: string }).name === APP),
      { state: 'removing', removal: { purge: true, left: [{ part: 'database', reason: /MC_SERVICE_UNAVAILABLE/ }] } },
      'GET /v1/apps lists it as removing, with what is left',
    );
    t.match((await api('GET', `/v1/apps/${APP}`)).json, {
      state: 'removing',
      removal: { left: [{ part: 'database' }] },
    });
    const ls = await sh(CLI, ['app', 'ls']);
    t.match(ls.stdout, new RegExp(`${APP}\\s+removing`), `minicloud app ls: ${ls.stdout}`);
    t.match(ls.stdout, /database left; `minicloud app rm rmadd --purge` finishes it/);

    const update = await api('PATCH', `/v1/apps/${APP}?wait=true`, { replicas: 2 });
    t.equal(update.status, 409);
    t.match(update.json, { code: 'MC_APP_REMOVING', detail: /`minicloud app rm rmadd --purge`/ });
    const readd = await add();
    t.equal(readd.status, 409);
    t.match(readd.json, { code: 'MC_APP_REMOVING' });

    // The second remove starts while MariaDB is still down and comes back meanwhile: the purge
    // waits for it. Should MariaDB take longer than the wait to start, the app is still
    // removing and a third remove, once it runs, finishes.
    const second = api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
    await scaleMariaDb(1);
    const finished = await second;
    if (finished.status !== 204) {
      t.match(finished.json, { code: 'MC_APP_REMOVE_INCOMPLETE', errors: [{ field: 'database' }] });
      t.comment('MariaDB took longer than the wait to start: a third remove finishes');
      await waitFor(
        'mariadb to run',
        async () => ((await running('minicloud_mariadb')) >= 1 ? true : undefined),
        180_000,
      );
      t.equal((await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`)).status, 204);
    } else {
      t.pass('the second remove waited for MariaDB and finished');
    }
    t.equal((await api('GET', `/v1/apps/${APP}`)).status, 404, 'the record is gone');
    t.same(await traces(APP), [], 'nothing of the app is left: database, user, vhost, storage, secrets, stack, record');
    t.notOk(existsSync(`${DATA}/secrets/apps/${APP}.secrets.json`), 'nor its secrets data');
    t.equal((await add()).status, 201, 'and the name is free');
  },
);
