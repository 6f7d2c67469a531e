import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Client } from 'pg';
import { PostgresAdmin, PostgresDumpClient, postgresUrl, Sensitive, type PostgresNames } from '@minicloud/core';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';
import { ensureDebianImage, removeContainer, repo, startContainer, messageOf } from '../helpers/service-containers.js';

// The PostgreSQL need kind's edge against a real server: minicloud/postgres:bookworm with the
// management stack's postgresql.conf and pg_hba.conf, as a plain container whose port is
// published on the test manager's address only. Each app's role must work in its own database
// and be refused on the other's (and on the maintenance databases), follow a re-key and vanish
// on drop; a dump streamed out of the container must restore, after a drop, to the same data.

const docker = managerDocker();
/** Where the manager publishes the container's port: its own address in its namespace. */
const HOST = engineEnv().swarmAddr;
const name = `mc-provtest-${process.pid}-postgres`;
// App passwords with quotes, a backtick, a semicolon, @ and % (printable ASCII: see scram.ts):
// they must survive the URL. The admin password is base64url, as the platform generates it.
const secret = () => new Sensitive(`${randomBytes(12).toString('base64url')}'"\`;--@%/`);
const adminPassword = new Sensitive(randomBytes(18).toString('base64url'));

t.teardown(() => removeContainer(docker, name));

const started = Date.now();
const ports = await startContainer(
  {
    name,
    Image: await ensureDebianImage(docker, 'postgres'),
    Cmd: ['postgres', '-c', 'config_file=/etc/postgresql/minicloud.conf'],
    Env: [`POSTGRES_PASSWORD=${adminPassword.reveal()}`],
    HostConfig: {
      Binds: [
        `${repo}/stacks/management/postgres/postgresql.conf:/etc/postgresql/minicloud.conf:ro`,
        `${repo}/stacks/management/postgres/pg_hba.conf:/etc/postgresql/pg_hba.conf:ro`,
      ],
      Memory: 256 * 1024 * 1024,
    },
  },
  ['5432'],
  'provision',
);
const port = ports['5432']!;
const admin = new PostgresAdmin({ host: HOST, port, user: 'postgres', password: adminPassword });
await waitFor('PostgreSQL to accept the admin', async () => (await admin.exists('nothing-yet'), true), 90_000);
t.comment(`PostgreSQL ready ${Date.now() - started} ms after the start`);

/** A connection as the app would open it: from its DATABASE_URL. */
async function appConnect(user: string, password: Sensitive<string>, database: string): Promise<Client> {
  const url = postgresUrl({ user, password, host: HOST, port, path: database });
  const c = new Client({ connectionString: url.reveal() });
  c.on('error', () => undefined);
  await c.connect();
  t.teardown(() => c.end().catch(() => undefined));
  return c;
}

/** The superuser over TCP, to look at what the adapter did. */
async function rootConnect(database = 'postgres'): Promise<Client> {
  const c = new Client({ host: HOST, port, user: 'postgres', password: adminPassword.reveal(), database });
  // A drop ends the sessions on the app's database, this one's too: an error event, not a crash.
  c.on('error', () => undefined);
  await c.connect();
  t.teardown(() => c.end().catch(() => undefined));
  return c;
}

const shopPw = secret();
const blogPw = secret();
const shop = await admin.ensure('pgt-shop', shopPw);
const blog = await admin.ensure('pgt-blog', blogPw);
let shopKey = shopPw;

t.test('a role and a database per app', async (t) => {
  t.same(shop, { database: 'pgt_shop', role: 'pgt_shop' });
  t.same(blog, { database: 'pgt_blog', role: 'pgt_blog' });
  t.equal(await admin.exists('pgt-shop'), true);
  t.equal(await admin.exists('pgt-none'), false);
  const root = await rootConnect();
  const { rows } = await root.query(
    `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
       ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid) AS "memberOf"
     FROM pg_roles r WHERE rolname IN ('pgt_shop', 'pgt_blog') ORDER BY 1`,
  );
  const plain = {
    rolsuper: false,
    rolcreatedb: false,
    rolcreaterole: false,
    rolreplication: false,
    rolbypassrls: false,
  };
  t.same(rows, [
    { rolname: 'pgt_blog', ...plain, rolcanlogin: true, memberOf: [] },
    { rolname: 'pgt_shop', ...plain, rolcanlogin: true, memberOf: [] },
  ]);
  const owners = await root.query(
    "SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname LIKE 'pgt\\_%' ORDER BY 1",
  );
  t.same(owners.rows, [
    { datname: 'pgt_blog', owner: 'pgt_blog' },
    { datname: 'pgt_shop', owner: 'pgt_shop' },
  ]);
});

t.test('each app works in its own database', async (t) => {
  for (const [app, pw] of [
    [shop, shopPw],
    [blog, blogPw],
  ] as const) {
    const c = await appConnect(app.role, pw, app.database);
    await c.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
    await c.query('INSERT INTO notes (body) VALUES ($1), ($2)', [`hello from ${app.role}`, 'it\'s "quoted"']);
    const { rows } = await c.query<{ body: string }>('SELECT body FROM notes ORDER BY id');
    t.same(
      rows.map((r) => r.body),
      [`hello from ${app.role}`, 'it\'s "quoted"'],
      app.role,
    );
  }
});

t.test("and is refused on the other app's database, the maintenance databases, and beyond", async (t) => {
  t.match(
    await messageOf(appConnect(shop.role, shopPw, blog.database)),
    /42501: permission denied for database "pgt_blog"/,
  );
  t.match(
    await messageOf(appConnect(blog.role, blogPw, shop.database)),
    /42501: permission denied for database "pgt_shop"/,
  );
  for (const db of ['postgres', 'template1']) {
    t.match(await messageOf(appConnect(shop.role, shopPw, db)), /42501: permission denied for database/, db);
  }
  t.match(await messageOf(appConnect(blog.role, shopPw, blog.database)), /28P01/, "shop's password is not blog's");
  const c = await appConnect(shop.role, shopPw, shop.database);
  for (const sql of [
    'CREATE DATABASE pgt_other',
    'CREATE ROLE pgt_other',
    'GRANT pg_read_server_files TO pgt_shop',
    'GRANT pgt_blog TO pgt_shop',
    "SELECT pg_read_file('/etc/passwd')",
    "COPY notes FROM PROGRAM 'id'",
    'ALTER ROLE pgt_shop SUPERUSER',
  ]) {
    t.match(await messageOf(c.query(sql)), /^42501: /, sql);
  }
});

t.test('a role widened by hand is put back by ensure', async (t) => {
  const root = await rootConnect();
  await root.query('GRANT pg_read_all_data, pgt_blog TO pgt_shop');
  await root.query('ALTER ROLE pgt_shop CREATEDB');
  const c = await appConnect(shop.role, shopPw, shop.database);
  t.equal(await messageOf(c.query('SELECT 1')), 'no error');
  const newPw = secret();
  t.same(await admin.ensure('pgt-shop', newPw), shop);
  shopKey = newPw;
  const { rows } = await root.query(
    "SELECT rolcreatedb, ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid) AS m FROM pg_roles r WHERE rolname = 'pgt_shop'",
  );
  t.same(rows, [{ rolcreatedb: false, m: [] }]);
  t.match(await messageOf(appConnect(shop.role, shopPw, shop.database)), /28P01/, 'the old password is refused');
  const d = await appConnect(shop.role, newPw, shop.database);
  t.same((await d.query('SELECT count(*)::int AS n FROM notes')).rows, [{ n: 2 }], 'the data stayed');
});

t.test('rekey: the old password is refused, the new one works', async (t) => {
  const newPw = secret();
  await admin.rekey('pgt-shop', newPw);
  t.match(await messageOf(appConnect(shop.role, shopKey, shop.database)), /28P01/);
  shopKey = newPw;
  await appConnect(shop.role, newPw, shop.database);
  t.match(await messageOf(admin.rekey('pgt-none', newPw)), /^MC_POSTGRES: app pgt-none has no PostgreSQL role/);
});

t.test('backup -> drop -> restore gives the same data, owned by the app again', async (t) => {
  const dump = new PostgresDumpClient(docker, { container: name });
  const c = await appConnect(shop.role, shopKey, shop.database);
  await c.query('CREATE SCHEMA extra');
  await c.query('CREATE TABLE extra."odd""name" (k text PRIMARY KEY, v jsonb)');
  await c.query(
    'INSERT INTO extra."odd""name" SELECT \'k\' || g, jsonb_build_object(\'g\', g) FROM generate_series(1, 500) g',
  );
  const snapshot = async (db: Client) => ({
    notes: (await db.query('SELECT id, body FROM notes ORDER BY id')).rows,
    odd: (await db.query('SELECT k, v FROM extra."odd""name" ORDER BY k')).rows,
  });
  const before = await snapshot(c);
  const countsBefore = await dump.rowCounts(shop.database);
  t.same(countsBefore, [
    { name: 'extra.odd"name', rows: 500 },
    { name: 'public.notes', rows: 2 },
  ]);

  const chunks: Buffer[] = [];
  await dump.dumpGzip(
    shop.database,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  const gz = Buffer.concat(chunks);
  t.same([...gz.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
  t.notMatch(gz.toString('latin1'), shopKey.reveal());

  await admin.drop('pgt-shop');
  t.equal(await admin.exists('pgt-shop'), false);
  t.not(await messageOf(c.query('SELECT 1')), 'no error', 'the session opened before the drop is gone');

  const restoredPw = secret();
  const names: PostgresNames = await admin.ensure('pgt-shop', restoredPw);
  await dump.recreateDatabase(names);
  await dump.loadGzip(names.database, Readable.from([gz]), names.role);
  t.same(await dump.rowCounts(names.database), countsBefore);
  const d = await appConnect(names.role, restoredPw, names.database);
  t.same(await snapshot(d), before, 'the same rows');
  await d.query("INSERT INTO notes (body) VALUES ('after the restore')");
  const root = await rootConnect(names.database);
  const owners = await root.query(
    "SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'extra')",
  );
  t.same(owners.rows, [{ owner: 'pgt_shop' }], 'everything restored belongs to the app');
  t.match(
    await messageOf(appConnect(blog.role, blogPw, names.database)),
    /42501/,
    'and is still closed to the other app',
  );

  t.match(
    await messageOf(dump.loadGzip(names.database, Readable.from([Buffer.from('not gzip')]), names.role)),
    /^MC_BACKUP: loading into pgt_shop failed/,
  );
});

t.test('drop removes both apps, their roles and their open sessions', async (t) => {
  const open = await appConnect(blog.role, blogPw, blog.database);
  await admin.drop('pgt-blog');
  await admin.drop('pgt-shop');
  t.equal(await admin.exists('pgt-blog'), false);
  t.equal(await admin.exists('pgt-shop'), false);
  t.not(await messageOf(open.query('SELECT 1')), 'no error');
  t.match(await messageOf(appConnect(blog.role, blogPw, blog.database)), /28P01/);
  const root = await rootConnect();
  t.same((await root.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgt\\_%'")).rows, []);
  t.same((await root.query("SELECT datname FROM pg_database WHERE datname LIKE 'pgt\\_%'")).rows, []);
  await admin.drop('pgt-blog');
  t.pass('dropping again is fine');
});

t.test('a wrong admin password is a coded error naming the server, not the password', async (t) => {
  const wrong = new Sensitive(`${adminPassword.reveal()}x`);
  const bad = new PostgresAdmin({ host: HOST, port, user: 'postgres', password: wrong });
  const appPw = secret();
  const text = await messageOf(bad.ensure('pgt-shop', appPw));
  t.match(text, `MC_POSTGRES: cannot connect to the PostgreSQL server postgres@${HOST}:${port}: 28P01`);
  for (const pw of [wrong, adminPassword, appPw]) t.notMatch(text, pw.reveal());
});
