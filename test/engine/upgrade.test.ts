import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { platformVersion } from '@minicloud/core';
import { credentials, probe, served } from '../helpers/apps.js';
import { dockerCli, managerDocker, waitFor } from '../helpers/engine.js';
import { stackContainers } from '../helpers/platform-state.js';
import { api, buildAndPush, DATA, DOMAIN, INSTALL, REPO, sh } from '../helpers/platform.js';

// Issue 15, "Upgrade in place": the previous release is installed from git, apps with data are
// added to it, then this checkout's install.sh runs over it. Every app keeps serving without a
// restart (its stack did not change), its data and credentials are intact, the data dir is
// migrated forward (the version recorded, the services added since made and idle), a second
// run changes nothing, and the previous release's install.sh over the new one is refused.
//
// The previous release (0.1.0, commit fbad73b) is test/engine/previous-release.sh's: it builds
// the tree once (scripts/test.sh starts that beside the engine tests, so it is ready here).
const OLD_TREE = '/var/lib/minicloud-test/upgrade-from';
const docker = managerDocker();

const oldInstall = () => sh('bash', [`${OLD_TREE}/install/install.sh`, ...INSTALL.slice(1)], { timeout: 900_000 });
const uninstallPurge = () =>
  sh('bash', [`${REPO}/install/uninstall.sh`, `--data-dir=${DATA}`, '--purge'], { timeout: 300_000 });
/** The ids of the tasks that run an app's services now. */
async function taskIds(app: string): Promise<string[]> {
  const tasks = await docker.listTasks({ filters: { label: [`com.docker.stack.namespace=${app}`] } });
  return tasks
    .filter((x) => x.DesiredState === 'running')
    .map((x) => x.ID as string)
    .sort();
}
const ROW_PROBE = `const m = require('mysql2/promise'); (async () => { const c = await m.createConnection(process.env.URL); await c.query('CREATE TABLE IF NOT EXISTS kept (v VARCHAR(64))'); if (process.env.WRITE) await c.query('INSERT INTO kept VALUES (?)', [process.env.WRITE]); const [rows] = await c.query('SELECT v FROM kept'); await c.end(); console.log(JSON.stringify({ rows: rows.map((r) => r.v) })) })()`;

let PREVIOUS = { version: '', commit: '' };

t.before(async () => {
  // The previous release's tree, from this repository's history (a clone has it).
  const tree = await sh('bash', [`${REPO}/test/engine/previous-release.sh`], { timeout: 900_000 });
  if (tree.code !== 0) throw new Error(`the previous release's tree: ${tree.stderr.slice(-2000)}`);
  PREVIOUS = {
    version: (JSON.parse(readFileSync(`${OLD_TREE}/package.json`, 'utf8')) as { version: string }).version,
    commit: readFileSync(`${OLD_TREE}/.commit`, 'utf8').trim(),
  };
  // Whatever platform the tests before left: this one starts from the previous release.
  const gone = await uninstallPurge();
  if (gone.code !== 0) throw new Error(`uninstall.sh --purge: ${gone.stderr.slice(-2000)}`);
  // uninstall.sh keeps app stacks (they are the apps'): a run of this test cut short left its own.
  for (const name of ['keeper', 'plain'])
    if ((await docker.listServices({ filters: { label: [`com.docker.stack.namespace=${name}`] } })).length > 0)
      await dockerCli(['stack', 'rm', name]);
});

t.teardown(async () => {
  for (const name of ['keeper', 'plain']) await api('DELETE', `/v1/apps/${name}?wait=true&purge=true`);
});

t.test(
  `an install of ${PREVIOUS.version} (${PREVIOUS.commit}) upgraded in place by this checkout's install.sh`,
  async (t) => {
    t.not(platformVersion(), PREVIOUS.version, 'this checkout is another version than the previous release');
    const old = await oldInstall();
    t.equal(old.code, 0, `the previous release installs: ${old.stderr.slice(-2000)}`);
    const before = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as { minicloudVersion?: string };
    t.equal(before.minicloudVersion, PREVIOUS.version, `the data dir says ${PREVIOUS.version}`);

    // Apps with data: rows in the database, a file in the storage dir, and one without needs.
    const manifest = (name: string, needs: string) =>
      `name: ${name}\nexpose: [{proto: http, port: 80}]\n${needs}healthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}\n`;
    const keeperImage = await buildAndPush('keeper:1', manifest('keeper', 'needs: [database, messagebus, storage]\n'));
    const plainImage = await buildAndPush('plain:1', manifest('plain', ''));
    for (const [image, name] of [
      [keeperImage, 'keeper'],
      [plainImage, 'plain'],
    ] as const) {
      const add = await api('POST', '/v1/apps?wait=true', { image, name });
      t.equal(add.status, 201, `${name} added to ${PREVIOUS.version}: ${JSON.stringify(add.json).slice(0, 300)}`);
    }
    const creds = readFileSync(`${DATA}/secrets/apps/keeper.env`, 'utf8');
    const url = credentials('keeper')['DATABASE_URL']!;
    t.same(await probe(ROW_PROBE, { URL: url, WRITE: 'before the upgrade' }), { rows: ['before the upgrade'] });
    writeFileSync(`${DATA}/storage/keeper/kept.txt`, 'kept\n');
    const tasks = { keeper: await taskIds('keeper'), plain: await taskIds('plain') };
    t.ok(tasks.keeper.length > 0 && tasks.plain.length > 0, 'both apps run');

    // The upgrade.
    const upgrade = await sh('bash', INSTALL, { timeout: 900_000 });
    t.equal(upgrade.code, 0, `this checkout's install.sh runs over it: ${upgrade.stderr.slice(-2000)}`);
    const after = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as { minicloudVersion?: string };
    t.equal(after.minicloudVersion, platformVersion(), 'the data dir now says this version');
    for (const name of ['keeper', 'plain'])
      t.match(await served(`${name}.${DOMAIN}`), { app: 'hello' }, `${name} is served`);
    t.same(
      { keeper: await taskIds('keeper'), plain: await taskIds('plain') },
      tasks,
      'the same tasks run the apps: nothing of theirs restarted',
    );
    t.equal(readFileSync(`${DATA}/secrets/apps/keeper.env`, 'utf8'), creds, 'the credentials are the same');
    t.same(
      await waitFor('mariadb to answer', () => probe(ROW_PROBE, { URL: url })),
      { rows: ['before the upgrade'] },
      'the rows are there, read with the same credentials',
    );
    t.equal(readFileSync(`${DATA}/storage/keeper/kept.txt`, 'utf8'), 'kept\n', 'the storage is there');
    // Migrated forward: the services of the kinds added since are made, and idle (no app needs them).
    for (const secret of ['postgres-password', 'redis-password'])
      t.ok(existsSync(`${DATA}/secrets/${secret}`), `${secret} made`);
    const idle = (JSON.parse(readFileSync(`${DATA}/state/services.json`, 'utf8')) as { idle: string[] }).idle;
    t.same(idle, ['postgres', 'redis'], 'postgres and redis idle; mariadb and rabbitmq hold apps and run');
    const list = (await api('GET', '/v1/apps')).json as { apps: { name: string; health: string }[] };
    t.same(
      list.apps.map((a) => [a.name, a.health]).sort(),
      [
        ['keeper', 'healthy'],
        ['plain', 'healthy'],
      ],
      'the new API lists both apps, healthy',
    );

    // A second run changes nothing.
    const containers = await stackContainers(docker);
    const second = await sh('bash', INSTALL, { timeout: 900_000 });
    t.equal(second.code, 0, second.stderr.slice(-2000));
    t.match(second.stderr, 'platform init: 0 created, 0 updated, 0 customized', 'a second run changes no file');
    t.same(await stackContainers(docker), containers, 'and restarts no service');

    // The previous release over this one: refused, and nothing changed.
    const down = await oldInstall();
    t.not(down.code, 0, 'the previous release refuses to run over this one');
    t.match(down.stderr, /a downgrade is refused/);
    t.equal(
      (JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as { minicloudVersion?: string })
        .minicloudVersion,
      platformVersion(),
    );
    t.match(await served(`keeper.${DOMAIN}`), { app: 'hello' }, 'and the apps still serve');
  },
);
