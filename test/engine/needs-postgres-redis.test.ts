import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { credentials, probe, traces } from '../helpers/apps.js';
import { managerDocker, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, DATA, INSTALL, platformSecret, sh } from '../helpers/platform.js';

// Issue 14: the need kinds postgres and redis on the installed test platform. Two apps of each
// kind; each app's env works on its own share and is refused on the other's, tried from a
// throwaway container on the services network with the env the platform wrote for the app
// (what its containers get); then a postgres app is backed up, its database dropped behind
// the platform's back, and restored to the same rows.

const PG = ['sql-one', 'sql-two'] as const;
const KV = ['kv-one', 'kv-two'] as const;

const manifest = (need: string) =>
  [
    'name: kinds',
    'expose: [{proto: http, port: 80}]',
    `needs: [${need}]`,
    'healthcheck: {http: /health, interval: 3s, retries: 2, start_period: 3s}',
  ].join('\n');

async function add(name: string, image: string): Promise<void> {
  const res = await api('POST', '/v1/apps?wait=true', { image, name });
  if (res.status !== 201) throw new Error(`add ${name}: ${res.status} ${JSON.stringify(res.json).slice(0, 500)}`);
}

async function removeQuietly(name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
    if (res.status === 204 || res.status === 404) return;
  }
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  const pgImage = await buildAndPush('kinds-pg:1', manifest('postgres'));
  const kvImage = await buildAndPush('kinds-kv:1', manifest('redis'));
  for (const name of [...PG, ...KV]) await removeQuietly(name);
  for (const name of PG) await add(name, pgImage);
  for (const name of KV) await add(name, kvImage);
});

t.teardown(async () => {
  for (const name of [...PG, ...KV]) await removeQuietly(name);
});

/**
 * With A's DATABASE_URL: make and fill a table in A's database and read it back; then A's
 * role on B's database (refused: CONNECT is revoked from PUBLIC), and on the maintenance one.
 */
const PG_PROBE = `
const { Client } = require('pg');
const attempt = async (url, sqls) => { const c = new Client({ connectionString: url }); try { await c.connect(); let rows; for (const sql of sqls) rows = (await c.query(sql)).rows; return { ok: true, rows } } catch (e) { return { ok: false, error: e.code || e.message } } finally { await c.end().catch(() => {}) } };
const on = (db) => { const u = new URL(process.env.A_URL); u.pathname = '/' + db; return u.toString() };
(async () => {
  const own = await attempt(process.env.A_URL, [
    'CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL)',
    "INSERT INTO notes (body) VALUES ('one'), ('two'), ('tab\\there'), ('line\\nbreak')",
    'SELECT id, body FROM notes ORDER BY id',
  ]);
  const foreign = await attempt(on(new URL(process.env.B_URL).pathname.slice(1)), ['SELECT 1']);
  const maintenance = await attempt(on('postgres'), ['SELECT 1']);
  const b = new URL(process.env.B_URL); b.password = 'wrong';
  const guessed = await attempt(b.toString(), ['SELECT 1']);
  console.log(JSON.stringify({ own: own.ok, ownError: own.error, rows: own.rows, foreign: foreign.ok, foreignError: foreign.error, maintenance: maintenance.ok, maintenanceError: maintenance.error, guessed: guessed.ok, guessedError: guessed.error }));
})();`;

/** The rows of notes with A_URL, or the error. */
const PG_ROWS = `
const { Client } = require('pg');
(async () => { const c = new Client({ connectionString: process.env.A_URL }); try { await c.connect(); const r = await c.query('SELECT id, body FROM notes ORDER BY id'); console.log(JSON.stringify({ ok: true, rows: r.rows })) } catch (e) { console.log(JSON.stringify({ ok: false, error: e.code || e.message })) } finally { await c.end().catch(() => {}) } })();`;

/** As the platform's superuser: DROP DATABASE of DB (a lost database, behind the platform's back). */
const PG_DROP = `
const { Client } = require('pg');
(async () => { const c = new Client({ host: 'postgres', user: 'postgres', password: process.env.PW, database: 'postgres' }); await c.connect(); await c.query('DROP DATABASE IF EXISTS "' + process.env.DB + '" WITH (FORCE)'); await c.end(); console.log(JSON.stringify({ dropped: true })) })();`;

/**
 * With A's REDIS_URL and REDIS_PREFIX: write and read its own keys; then B's keys (read, write,
 * delete), the keyspace (KEYS, SCAN, FLUSHALL, FLUSHDB, CONFIG) and B's channel: each refused.
 */
const REDIS_PROBE = `
const { createClient } = require('@redis/client');
const tryIt = async (f) => { try { return { ok: true, value: await f() } } catch (e) { return { ok: false, error: String(e.message).slice(0, 120) } } };
(async () => {
  const c = createClient({ url: process.env.A_URL, socket: { reconnectStrategy: false } });
  c.on('error', () => {});
  await c.connect();
  const a = process.env.A_PREFIX, b = process.env.B_PREFIX;
  const out = {
    ownWrite: await tryIt(() => c.sendCommand(['SET', a + 'greeting', 'hello from ' + a])),
    ownRead: await tryIt(() => c.sendCommand(['GET', a + 'greeting'])),
    ownHash: await tryIt(() => c.sendCommand(['HSET', a + 'h', 'f', 'v'])),
    otherRead: await tryIt(() => c.sendCommand(['GET', b + 'greeting'])),
    otherWrite: await tryIt(() => c.sendCommand(['SET', b + 'greeting', 'overwritten by ' + a])),
    otherDelete: await tryIt(() => c.sendCommand(['DEL', b + 'greeting'])),
    unprefixed: await tryIt(() => c.sendCommand(['SET', 'greeting', 'x'])),
    keys: await tryIt(() => c.sendCommand(['KEYS', '*'])),
    scan: await tryIt(() => c.sendCommand(['SCAN', '0'])),
    flushall: await tryIt(() => c.sendCommand(['FLUSHALL'])),
    flushdb: await tryIt(() => c.sendCommand(['FLUSHDB'])),
    config: await tryIt(() => c.sendCommand(['CONFIG', 'GET', '*'])),
    publishOther: await tryIt(() => c.sendCommand(['PUBLISH', b + 'news', 'x'])),
  };
  c.destroy();
  console.log(JSON.stringify(out));
})();`;

t.test('postgres: each app reaches its own database and is refused on the other app’s', async (t) => {
  const one = credentials(PG[0]);
  const two = credentials(PG[1]);
  t.match(one['DATABASE_URL'], /^postgres:\/\/sql_one:[^@]+@postgres:5432\/sql_one$/);
  t.match(two['DATABASE_URL'], /^postgres:\/\/sql_two:[^@]+@postgres:5432\/sql_two$/);
  for (const [a, b] of [
    [one, two],
    [two, one],
  ] as const) {
    const found = await probe(PG_PROBE, { A_URL: a['DATABASE_URL']!, B_URL: b['DATABASE_URL']! });
    t.match(
      found,
      {
        own: true,
        rows: [{ body: 'one' }, { body: 'two' }, { body: 'tab\there' }, { body: 'line\nbreak' }],
        foreign: false,
        foreignError: '42501',
        maintenance: false,
        maintenanceError: '42501',
        guessed: false,
        guessedError: '28P01',
      },
      `own database works, the other's is refused: ${JSON.stringify(found)}`,
    );
  }
});

t.test('redis: each app works under its prefix and cannot read, write, list or flush the other’s keys', async (t) => {
  const one = credentials(KV[0]);
  const two = credentials(KV[1]);
  t.match(one, { REDIS_URL: /^redis:\/\/kv_one:[^@]+@redis:6379$/, REDIS_PREFIX: 'kv_one:' });
  t.match(two, { REDIS_URL: /^redis:\/\/kv_two:[^@]+@redis:6379$/, REDIS_PREFIX: 'kv_two:' });
  const run = (a: Record<string, string>, b: Record<string, string>) =>
    probe(REDIS_PROBE, { A_URL: a['REDIS_URL']!, A_PREFIX: a['REDIS_PREFIX']!, B_PREFIX: b['REDIS_PREFIX']! });
  // kv-two writes its key first, so kv-one's attempts find something to read and overwrite.
  await run(two, one);
  const found = await run(one, two);
  t.match(found, {
    ownWrite: { ok: true, value: 'OK' },
    ownRead: { ok: true, value: 'hello from kv_one:' },
    ownHash: { ok: true },
  });
  const refused = [
    'otherRead',
    'otherWrite',
    'otherDelete',
    'unprefixed',
    'keys',
    'scan',
    'flushall',
    'flushdb',
    'config',
    'publishOther',
  ];
  for (const what of refused)
    t.match(found[what], { ok: false, error: /NOPERM/ }, `${what} is refused: ${JSON.stringify(found[what])}`);
  const after = await run(two, one);
  t.match(after['ownRead'], { ok: true, value: 'hello from kv_two:' }, "kv-two's key is untouched");
});

t.test('postgres: backup, the database lost, restore: the same rows', async (t) => {
  const url = credentials(PG[0])['DATABASE_URL']!;
  const before = await probe(PG_ROWS, { A_URL: url });
  t.match(before, { ok: true }, JSON.stringify(before));
  t.ok((before['rows'] as unknown[]).length >= 4, 'the app has rows');

  const backup = await api('POST', `/v1/apps/${PG[0]}/backups?wait=true`);
  t.equal(backup.status, 201, `backup: ${JSON.stringify(backup.json).slice(0, 300)}`);
  const id = (backup.json as { id: string }).id;
  const manifest = JSON.parse(readFileSync(`${DATA}/backups/${PG[0]}/${id}/backup.json`, 'utf8')) as {
    parts: { name: string; file: string; tables?: { name: string; rows: number }[] }[];
    tools: Record<string, string>;
  };
  const part = manifest.parts.find((p) => p.name === 'postgres');
  t.match(part, {
    file: 'postgres.sql.gz',
    tables: [{ name: 'public.notes', rows: (before['rows'] as unknown[]).length }],
  });
  t.match(manifest.tools, { pg_dump: /pg_dump \(PostgreSQL\) 15/ });
  const verify = await api('POST', `/v1/apps/${PG[0]}/backups/${id}/verify?wait=true`);
  t.ok(verify.status === 200 || verify.status === 201, `verify: ${JSON.stringify(verify.json).slice(0, 300)}`);

  await probe(PG_DROP, { PW: platformSecret('postgres-password'), DB: 'sql_one' });
  const lost = await probe(PG_ROWS, { A_URL: url });
  t.match(lost, { ok: false, error: '3D000' }, 'the database is gone');

  const restore = await api('POST', `/v1/apps/${PG[0]}/backups/${id}/restore?wait=true`, { backupFirst: false });
  t.ok(restore.status === 200 || restore.status === 201, `restore: ${JSON.stringify(restore.json).slice(0, 300)}`);
  const after = await probe(PG_ROWS, { A_URL: url });
  t.same(after, before, 'the same rows, read with the app’s own credentials');
  const other = await probe(PG_PROBE, { A_URL: credentials(PG[1])['DATABASE_URL']!, B_URL: url });
  t.match(other, { foreign: false, foreignError: '42501' }, 'the restored database is still closed to the other app');
});

/** As the platforms' admins: what is left of an app's postgres and redis shares. */
const SHARES_LEFT = `
const { Client } = require('pg');
const { createClient } = require('@redis/client');
(async () => {
  const pg = new Client({ host: 'postgres', user: 'postgres', password: process.env.PG_PW, database: 'postgres' });
  await pg.connect();
  const db = (await pg.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [process.env.ID])).rows[0].n;
  const role = (await pg.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [process.env.ID])).rows[0].n;
  await pg.end();
  const r = createClient({ socket: { host: 'redis', port: 6379, reconnectStrategy: false }, username: 'mcadmin', password: process.env.REDIS_PW });
  r.on('error', () => {});
  await r.connect();
  const user = (await r.sendCommand(['ACL', 'GETUSER', process.env.ID])) !== null;
  const keys = (await r.sendCommand(['SCAN', '0', 'MATCH', process.env.ID + ':*', 'COUNT', '1000']))[1].length;
  r.destroy();
  console.log(JSON.stringify({ db, role, user, keys }));
})();`;

t.test('a purge leaves nothing of the apps behind, in PostgreSQL or Redis', async (t) => {
  const left = (id: string) =>
    probe(SHARES_LEFT, {
      ID: id,
      PG_PW: platformSecret('postgres-password'),
      REDIS_PW: platformSecret('redis-password'),
    });
  t.match(await left('sql_two'), { db: 1, role: 1 }, 'sql-two has its database and role while it exists');
  t.match(await left('kv_two'), { user: true }, 'kv-two has its user while it exists');
  t.ok(((await left('kv_two'))['keys'] as number) > 0, 'and its keys');
  for (const name of [PG[1], KV[1]]) {
    await removeQuietly(name);
    t.same(await traces(name), [], `${name} is gone from the platform`);
  }
  t.same(await left('sql_two'), { db: 0, role: 0, user: false, keys: 0 }, "sql-two's database and role are dropped");
  t.same(await left('kv_two'), { db: 0, role: 0, user: false, keys: 0 }, "kv-two's user and keys are dropped");
});

/** As the superuser, in the maintenance database: MODE=write leaves a row, MODE=read reads it back. */
const PG_MARK = `
const { Client } = require('pg');
(async () => {
  const c = new Client({ host: 'postgres', user: 'postgres', password: process.env.PW, database: 'postgres' });
  await c.connect();
  if (process.env.MODE === 'write') await c.query("DROP TABLE IF EXISTS on_demand_mark; CREATE TABLE on_demand_mark (note text); INSERT INTO on_demand_mark VALUES ('kept')");
  const rows = (await c.query('SELECT note FROM on_demand_mark')).rows;
  if (process.env.MODE === 'read') await c.query('DROP TABLE on_demand_mark');
  await c.end();
  console.log(JSON.stringify({ rows }));
})();`;

const docker = managerDocker();

/** The replicas the service is set to, and how many of its containers run. */
async function serviceState(name: string): Promise<{ replicas: number | undefined; running: number }> {
  const spec = (await docker.getService(`minicloud_${name}`).inspect()) as {
    Spec: { Mode?: { Replicated?: { Replicas?: number } } };
  };
  const running = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=minicloud_${name}`], status: ['running'] },
  });
  return { replicas: spec.Spec.Mode?.Replicated?.Replicas, running: running.length };
}

const idleFile = () => JSON.parse(readFileSync(`${DATA}/state/services.json`, 'utf8')) as { idle: string[] };

t.test('postgres and redis run only while an app needs them, and keep their data when stopped', async (t) => {
  const pw = platformSecret('postgres-password');
  t.same(await probe(PG_MARK, { PW: pw, MODE: 'write' }), { rows: [{ note: 'kept' }] }, 'a row of the server itself');
  // The last app of each kind goes: its service stops (the purge left no app's data in it),
  // after the linger, or at once when asked to.
  for (const name of [PG[0], KV[0]]) await removeQuietly(name);
  t.same(await serviceState('postgres'), { replicas: 1, running: 1 }, 'postgres lingers after its last app left');
  const settled = await api('POST', '/v1/services/settle');
  t.equal(settled.status, 200, JSON.stringify(settled.json));
  const stopped = (settled.json as { stopped: string[] }).stopped;
  t.ok(
    ['postgres', 'redis'].every((s) => stopped.includes(s)),
    `stopped when asked to: ${stopped.join(', ')}`,
  );
  for (const service of ['postgres', 'redis']) {
    const state = await waitFor(`${service} to stop`, async () => {
      const s = await serviceState(service);
      return s.running === 0 ? s : undefined;
    });
    t.same(state, { replicas: 0, running: 0 }, `${service} is set to 0 replicas and nothing of it runs`);
    t.ok(idleFile().idle.includes(service), `state/services.json marks ${service} idle`);
  }
  t.ok(readdirSync(`${DATA}/postgres`).length > 0, "postgres's data dir stays");

  // The first app that needs it brings it back, healthy, on the same data.
  const image = await buildAndPush('kinds-pg:1', manifest('postgres'));
  await add(PG[0], image);
  t.same(await serviceState('postgres'), { replicas: 1, running: 1 }, 'adding an app that needs postgres starts it');
  t.notOk(idleFile().idle.includes('postgres'), 'and it is no longer marked idle');
  t.same(await serviceState('redis'), { replicas: 0, running: 0 }, 'redis, which no app needs, stays stopped');
  t.same(await probe(PG_MARK, { PW: pw, MODE: 'read' }), { rows: [{ note: 'kept' }] }, 'the server kept its data');
  const url = credentials(PG[0])['DATABASE_URL']!;
  t.match(await probe(PG_PROBE, { A_URL: url, B_URL: url }), { own: true }, 'the new app works in its database');
});
