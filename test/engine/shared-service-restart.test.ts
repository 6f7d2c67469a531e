import t from 'tap';
import { credentials, probe } from '../helpers/apps.js';
import { managerDocker, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, INSTALL, sh } from '../helpers/platform.js';

// Issue 15: a shared service restarts under the apps (its task killed, as a crash or the OOM
// killer would): the swarm brings it back by itself, committed rows are intact, a new
// connection with the app's credentials works again, and the platform's own calls either wait
// for it (provisioning) or fail with a clear error (a backup while it is down), never hang;
// once it is back, backups work again (the backup client finds the new container).

const docker = managerDocker();
const APPS = ['crash-a', 'crash-b'] as const;
const MANIFEST = [
  'name: crash',
  'expose: [{proto: http, port: 80}]',
  'needs: [database]',
  'healthcheck: {http: /health, interval: 3s, retries: 2, start_period: 3s}',
].join('\n');

/** With A_URL: insert N rows (MODE=write), then count them; the error code when it cannot. */
const ROWS = `
const mysql = require('mysql2/promise');
(async () => {
  try {
    const c = await mysql.createConnection(process.env.A_URL);
    if (process.env.MODE === 'write') {
      await c.query('CREATE TABLE IF NOT EXISTS ledger (id INT PRIMARY KEY AUTO_INCREMENT, note TEXT)');
      for (let i = 0; i < Number(process.env.N); i++) await c.query('INSERT INTO ledger (note) VALUES (?)', ['row ' + i]);
    }
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM ledger');
    await c.end();
    console.log(JSON.stringify({ ok: true, n: rows[0].n }));
  } catch (e) { console.log(JSON.stringify({ ok: false, error: e.code || e.message })) }
})();`;

async function removeQuietly(name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
    if (res.status === 204 || res.status === 404) return;
  }
}

async function mariadbContainer(): Promise<{ id: string; health: string | undefined } | undefined> {
  const [c] = await docker.listContainers({
    filters: { label: ['com.docker.swarm.service.name=minicloud_mariadb'], status: ['running'] },
  });
  if (!c) return undefined;
  return { id: c.Id, health: (await docker.getContainer(c.Id).inspect()).State.Health?.Status };
}

let image = '';
t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  image = await buildAndPush('crash:1', MANIFEST);
  for (const name of APPS) await removeQuietly(name);
  const res = await api('POST', '/v1/apps?wait=true', { image, name: APPS[0] });
  if (res.status !== 201) throw new Error(`add ${APPS[0]}: ${res.status} ${JSON.stringify(res.json).slice(0, 500)}`);
});
t.teardown(async () => {
  for (const name of APPS) await removeQuietly(name);
});

t.test('MariaDB killed under an app: back by itself, rows intact, the platform waits or says why', async (t) => {
  const url = credentials(APPS[0])['DATABASE_URL']!;
  t.same(await probe(ROWS, { A_URL: url, MODE: 'write', N: '50' }), { ok: true, n: 50 }, '50 rows committed');
  const before = await mariadbContainer();
  t.ok(before, 'mariadb runs (the app needs it)');

  await docker.getContainer(before!.id).kill();
  // Right away, while it is down: a backup fails with the reason (no hang), and an add of an
  // app that needs a database waits for the server and succeeds.
  const started = Date.now();
  const backup = await api('POST', `/v1/apps/${APPS[0]}/backups?wait=true`);
  const backupSeconds = (Date.now() - started) / 1000;
  if (backup.status === 201) t.pass(`the backup waited for the server and succeeded (${backupSeconds.toFixed(1)} s)`);
  else
    t.match(
      backup.json,
      { detail: /mariadb|MariaDB/ },
      `the backup fails naming the server (${backup.status}, ${backupSeconds.toFixed(1)} s): ${JSON.stringify(backup.json).slice(0, 300)}`,
    );
  t.ok(backupSeconds < 150, 'within a bound, not hanging');
  const added = await api('POST', '/v1/apps?wait=true', { image, name: APPS[1] });
  t.equal(added.status, 201, `an add while mariadb restarts waits for it: ${JSON.stringify(added.json).slice(0, 300)}`);

  const after = await waitFor(
    'mariadb to run again, healthy',
    async () => {
      const c = await mariadbContainer();
      return c && c.id !== before!.id && c.health === 'healthy' ? c : undefined;
    },
    180_000,
  );
  t.not(after.id, before!.id, 'the swarm started a new container');
  t.same(await probe(ROWS, { A_URL: url, MODE: 'read' }), { ok: true, n: 50 }, 'the committed rows are intact');
  const second = credentials(APPS[1])['DATABASE_URL']!;
  t.same(
    await probe(ROWS, { A_URL: second, MODE: 'write', N: '1' }),
    { ok: true, n: 1 },
    'the app added meanwhile works',
  );

  const again = await api('POST', `/v1/apps/${APPS[0]}/backups?wait=true`);
  t.equal(again.status, 201, `a backup after the restart works: ${JSON.stringify(again.json).slice(0, 300)}`);
  t.match(again.json, { complete: true, parts: [{ name: 'database' }] });
});
