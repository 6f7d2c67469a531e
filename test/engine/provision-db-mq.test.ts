import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { connect as amqpConnect, type ChannelModel } from 'amqplib';
import { createConnection, type Connection } from 'mysql2/promise';
import { amqpUrl, databaseUrl, MariaDbAdmin, RabbitMqAdmin, Sensitive, type ServiceEndpoint } from '@minicloud/core';
import { dbGrantsSql, oldWildcardGrantSql } from '../helpers/db-grants.js';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';
import { ensureDebianImage, removeContainer, repo, startContainer, messageOf } from '../helpers/service-containers.js';

// The database and message-bus adapters against the real servers of the management stack:
// MariaDB and RabbitMQ from the Debian images, with the stack's own config files, as plain
// containers whose ports are published on the test manager's address only. Each app's credentials must work
// on its own database / vhost, be refused on the other app's, follow a re-key, and vanish on drop.

const docker = managerDocker();
/** Where the manager publishes the containers' ports: its own address in its namespace. */
const HOST = engineEnv().swarmAddr;
const prefix = `mc-provtest-${process.pid}`;
// App passwords with quotes, a backtick, a semicolon and non-ASCII: they must survive SQL,
// JSON and URLs. Admin passwords are base64url, as the platform generates them (the RabbitMQ
// image writes its first user's password into a config file that takes no quotes).
const secret = () => new Sensitive(`${randomBytes(12).toString('base64url')}'"\`;--é`);
/** amqplib decodes URL passwords with unescape(), Latin-1: no non-ASCII for the AMQP apps. */
const asciiSecret = () => new Sensitive(`${randomBytes(12).toString('base64url')}'"\`;--`);
const adminSecret = () => new Sensitive(randomBytes(18).toString('base64url'));

// Both servers start at once (RabbitMQ takes several seconds); each test waits for its own.
const mariadbName = `${prefix}-mariadb`;
const rabbitName = `${prefix}-rabbitmq`;
t.teardown(() => Promise.all([removeContainer(docker, mariadbName), removeContainer(docker, rabbitName)]));

async function startMariaDb(): Promise<{ port: number; rootPassword: Sensitive<string> }> {
  const rootPassword = adminSecret();
  const ports = await startContainer(
    {
      name: mariadbName,
      Image: await ensureDebianImage(docker, 'mariadb'),
      Env: [`MARIADB_ROOT_PASSWORD=${rootPassword.reveal()}`],
      HostConfig: {
        Binds: [`${repo}/stacks/management/mariadb/minicloud.cnf:/etc/mysql/conf.d/minicloud.cnf:ro`],
        Memory: 256 * 1024 * 1024,
      },
    },
    ['3306'],
    'provision',
  );
  return { port: ports['3306']!, rootPassword };
}

async function startRabbitMq(): Promise<{ amqpPort: number; apiPort: number; adminPassword: Sensitive<string> }> {
  const adminPassword = adminSecret();
  const ports = await startContainer(
    {
      name: rabbitName,
      Image: await ensureDebianImage(docker, 'rabbitmq'),
      Hostname: 'rabbitmq',
      Env: [
        'RABBITMQ_DEFAULT_USER=mcadmin',
        `RABBITMQ_DEFAULT_PASS=${adminPassword.reveal()}`,
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=+S 1:1 +SDio 1 +sbwt none +sbwtdcpu none +sbwtdio none',
      ],
      HostConfig: {
        Binds: [`${repo}/stacks/management/rabbitmq/minicloud.conf:/etc/rabbitmq/conf.d/90-minicloud.conf:ro`],
        Memory: 256 * 1024 * 1024,
      },
    },
    ['5672', '15672'],
    'provision',
  );
  return { amqpPort: ports['5672']!, apiPort: ports['15672']!, adminPassword };
}

const begun = Date.now();
const mariadb = startMariaDb();
const rabbitmq = startRabbitMq();
// Awaited by their tests; until then a failure must not count as an unhandled rejection.
mariadb.catch(() => undefined);
rabbitmq.catch(() => undefined);

t.test('MariaDB: a database and a user per app, each confined to its own', async (t) => {
  const { port, rootPassword } = await mariadb;
  const admin = new MariaDbAdmin({ host: HOST, port, user: 'root', password: rootPassword });
  await waitFor('MariaDB to accept the admin', async () => (await admin.exists('nothing-yet'), true), 90_000);
  t.comment(`MariaDB ready ${Date.now() - begun} ms after the start`);

  const endpoint = (user: string, password: Sensitive<string>, path: string): ServiceEndpoint => ({
    user,
    password,
    host: HOST,
    port,
    path,
  });
  /** A connection as the app would open it: from its DATABASE_URL. */
  const appConnect = async (user: string, password: Sensitive<string>, database: string): Promise<Connection> => {
    const c = await createConnection(databaseUrl(endpoint(user, password, database)).reveal());
    c.on('error', () => undefined);
    t.teardown(() => c.end().catch(() => undefined));
    return c;
  };

  const shopPw = secret();
  const blogPw = secret();
  const shop = await admin.ensure('prov-shop', shopPw);
  const blog = await admin.ensure('prov-blog', blogPw);
  t.same(shop, { database: 'prov_shop', user: 'prov_shop' });
  t.same(blog, { database: 'prov_blog', user: 'prov_blog' });
  t.equal(await admin.exists('prov-shop'), true);

  t.test('each app works in its own database', async (t) => {
    for (const [app, pw] of [
      [shop, shopPw],
      [blog, blogPw],
    ] as const) {
      const c = await appConnect(app.user, pw, app.database);
      await c.query('CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)');
      await c.query('INSERT INTO notes VALUES (1, ?)', [`hello from ${app.user}`]);
      const [rows] = await c.query('SELECT body FROM notes');
      t.same(rows, [{ body: `hello from ${app.user}` }], app.user);
      const [dbs] = await c.query('SHOW DATABASES');
      t.same(
        (dbs as { Database: string }[]).map((d) => d.Database).sort(),
        [app.database, 'information_schema'].sort(),
        `${app.user} sees only its own database`,
      );
    }
  });

  t.test("and is refused on the other app's", async (t) => {
    t.match(await messageOf(appConnect(shop.user, shopPw, blog.database)), /ER_DBACCESS_DENIED_ERROR: Access denied/);
    const c = await appConnect(shop.user, shopPw, shop.database);
    t.match(await messageOf(c.query('SELECT * FROM prov_blog.notes')), /ER_TABLEACCESS_DENIED_ERROR/);
    t.match(await messageOf(c.query('CREATE DATABASE prov_other')), /ER_DBACCESS_DENIED_ERROR/);
    t.match(
      await messageOf(appConnect(blog.user, shopPw, blog.database)),
      /ER_ACCESS_DENIED_ERROR/,
      "shop's password is not blog's",
    );
  });

  t.test('ensure again re-keys: the old password is refused, the new one works, data stays', async (t) => {
    const newPw = secret();
    t.same(await admin.ensure('prov-shop', newPw), shop);
    t.match(await messageOf(appConnect(shop.user, shopPw, shop.database)), /ER_ACCESS_DENIED_ERROR/);
    const c = await appConnect(shop.user, newPw, shop.database);
    const [rows] = await c.query('SELECT body FROM notes');
    t.same(rows, [{ body: 'hello from prov_shop' }]);
  });

  t.test('drop removes the database and the user, and ends its open sessions', async (t) => {
    const open = await appConnect(blog.user, blogPw, blog.database);
    await admin.drop('prov-blog');
    t.equal(await admin.exists('prov-blog'), false);
    t.match(await messageOf(appConnect(blog.user, blogPw, blog.database)), /ER_ACCESS_DENIED_ERROR/);
    t.not(await messageOf(open.query('SELECT 1')), 'no error', 'the session opened before the drop is gone');
    const root = await createConnection({ host: HOST, port, user: 'root', password: rootPassword.reveal() });
    t.teardown(() => root.end());
    const [users] = await root.query("SELECT User FROM mysql.user WHERE User LIKE 'prov\\_%' ORDER BY User");
    t.same(users, [{ User: 'prov_shop' }], 'only the other app keeps its user');
    await admin.drop('prov-blog');
    t.pass('dropping again is fine');
    t.equal(await admin.exists('prov-shop'), true, 'the other app is untouched');
  });

  t.test('a wrong admin password is a coded error naming the server, not the password', async (t) => {
    const wrong = new Sensitive(`${rootPassword.reveal()}x`);
    const bad = new MariaDbAdmin({ host: HOST, port, user: 'root', password: wrong });
    const appPw = secret();
    const text = await messageOf(bad.ensure('prov-shop', appPw));
    t.match(text, `MC_DATABASE: cannot connect to the database server root@${HOST}:${port}: ER_ACCESS_DENIED_ERROR`);
    t.notMatch(text, wrong.reveal());
    t.notMatch(text, rootPassword.reveal());
    t.notMatch(text, appPw.reveal());
  });
});

t.test('MariaDB: a grant reaches only the database of exactly its name', async (t) => {
  const { port, rootPassword } = await mariadb;
  const admin = new MariaDbAdmin({ host: HOST, port, user: 'root', password: rootPassword });
  await waitFor('MariaDB to accept the admin', async () => (await admin.exists('nothing-yet'), true), 90_000);
  const root = await createConnection({ host: HOST, port, user: 'root', password: rootPassword.reveal() });
  t.teardown(() => root.end());
  /** A connection as the app would open it: from its DATABASE_URL. */
  const appConnect = async (user: string, password: Sensitive<string>, database: string): Promise<Connection> => {
    const url = databaseUrl({ user, password, host: HOST, port, path: database });
    const c = await createConnection(url.reveal());
    c.on('error', () => undefined);
    t.teardown(() => c.end().catch(() => undefined));
    return c;
  };
  const grantsOf = async (user: string) => (await root.query(dbGrantsSql(user)))[0];

  // Pairs of app names whose database names differ only where the first has a `_`.
  const pairs = [
    ['my-shop', 'myxshop'],
    ['a-b', 'axb'],
  ] as const;
  const pw = new Map<string, Sensitive<string>>();
  for (const [attacker] of pairs) {
    pw.set(attacker, secret());
    await admin.ensure(attacker, pw.get(attacker)!);
  }

  t.test('before the look-alike app exists, its database cannot be taken', async (t) => {
    for (const [attacker, victim] of pairs) {
      const { user, database } = admin.names(attacker);
      const victimDb = admin.names(victim).database;
      const c = await appConnect(user, pw.get(attacker)!, database);
      t.match(
        await messageOf(c.query(`CREATE DATABASE ${victimDb}`)),
        /ER_DBACCESS_DENIED_ERROR/,
        `${user} ${victimDb}`,
      );
    }
  });

  for (const [, victim] of pairs) {
    pw.set(victim, secret());
    await admin.ensure(victim, pw.get(victim)!);
    const { user, database } = admin.names(victim);
    const c = await appConnect(user, pw.get(victim)!, database);
    await c.query('CREATE TABLE secrets (v TEXT)');
    await c.query('INSERT INTO secrets VALUES (?)', [`only for ${user}`]);
  }

  t.test('grants name the escaped database; the user works in its own and is refused in the other', async (t) => {
    for (const [attacker, victim] of pairs) {
      const { user, database } = admin.names(attacker);
      const victimDb = admin.names(victim).database;
      t.same(await grantsOf(user), [{ host: '%', db: database.replaceAll('_', '\\_') }], `${user}'s grant`);
      const c = await appConnect(user, pw.get(attacker)!, database);
      await c.query('CREATE TABLE own (id INT)');
      await c.query('INSERT INTO own VALUES (1)');
      t.same((await c.query('SELECT id FROM own'))[0], [{ id: 1 }], `${user} works in ${database}`);
      t.match(await messageOf(appConnect(user, pw.get(attacker)!, victimDb)), /ER_DBACCESS_DENIED_ERROR/);
      t.match(await messageOf(c.query(`CREATE TABLE ${victimDb}.planted (id INT)`)), /ER_TABLEACCESS_DENIED_ERROR/);
      t.match(await messageOf(c.query(`SELECT * FROM ${victimDb}.secrets`)), /ER_TABLEACCESS_DENIED_ERROR/);
      t.match(await messageOf(c.query(`DROP DATABASE ${victimDb}`)), /ER_DBACCESS_DENIED_ERROR/);
      const [dbs] = await c.query('SHOW DATABASES');
      t.same((dbs as { Database: string }[]).map((d) => d.Database).sort(), [database, 'information_schema'].sort());
    }
    const [planted] = await root.query(
      "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('myxshop', 'axb') ORDER BY 1, 2",
    );
    t.same(planted, [
      { db: 'axb', name: 'secrets' },
      { db: 'myxshop', name: 'secrets' },
    ]);
  });

  /** What earlier versions granted: the bare name, whose `_` matches any character. */
  const oldGrant = async (t: Test, app: string, grantOption = false) => {
    const { user, database } = admin.names(app);
    for (const sql of oldWildcardGrantSql(user, { grantOption })) await root.query(sql);
    t.same(await grantsOf(user), [{ host: '%', db: database }], `${user} has the old grant`);
  };

  t.test('the repair narrows old wildcard grants in place; the apps keep their own data', async (t) => {
    await oldGrant(t, 'my-shop');
    await oldGrant(t, 'a-b', true);
    // The hole, on this server: the old grant reaches the look-alike's database.
    const shop = admin.names('my-shop');
    const c = await appConnect(shop.user, pw.get('my-shop')!, shop.database);
    t.same((await c.query('SELECT v FROM myxshop.secrets'))[0], [{ v: 'only for myxshop' }], 'the old grant leaks');
    // A session that entered the other database keeps its rights there until it leaves it.
    const inside = await appConnect(shop.user, pw.get('my-shop')!, 'myxshop');
    const own = await appConnect(shop.user, pw.get('my-shop')!, shop.database);

    const repaired = await admin.repairGrants();
    t.same(
      repaired.map((r) => [r.user, r.database, r.alsoMatched]),
      [
        ['a_b', 'a_b', ['axb']],
        ['my_shop', 'my_shop', ['myxshop']],
      ].sort(),
    );
    t.same(await admin.repairGrants(), [], 'a second run finds nothing to do');

    for (const [attacker, victim] of pairs) {
      const { user, database } = admin.names(attacker);
      const victimDb = admin.names(victim).database;
      t.same(await grantsOf(user), [{ host: '%', db: database.replaceAll('_', '\\_') }], `${user}'s grant`);
      t.match(await messageOf(appConnect(user, pw.get(attacker)!, victimDb)), /ER_DBACCESS_DENIED_ERROR/);
      const d = await appConnect(user, pw.get(attacker)!, database);
      t.match(await messageOf(d.query(`CREATE TABLE ${victimDb}.planted (id INT)`)), /ER_TABLEACCESS_DENIED_ERROR/);
      t.match(await messageOf(d.query(`SELECT * FROM ${victimDb}.secrets`)), /ER_TABLEACCESS_DENIED_ERROR/);
      t.same((await d.query('SELECT id FROM own'))[0], [{ id: 1 }], `${user} keeps its own data`);
      await d.query('INSERT INTO own VALUES (2)');
      await d.query('CREATE TABLE after_repair (id INT)');
      await d.query('DROP TABLE after_repair');
    }
    t.not(await messageOf(inside.query('SELECT * FROM secrets')), 'no error', 'the session inside myxshop was ended');
    t.same((await own.query('SELECT COUNT(*) AS n FROM own'))[0], [{ n: 2 }], 'a session in its own database goes on');
  });

  t.test('ensure repairs an old grant too (an app added again over its kept database)', async (t) => {
    await oldGrant(t, 'my-shop');
    const newPw = secret();
    await admin.ensure('my-shop', newPw);
    t.same(await grantsOf('my_shop'), [{ host: '%', db: 'my\\_shop' }]);
    t.match(await messageOf(appConnect('my_shop', newPw, 'myxshop')), /ER_DBACCESS_DENIED_ERROR/);
    const c = await appConnect('my_shop', newPw, 'my_shop');
    t.same((await c.query('SELECT COUNT(*) AS n FROM own'))[0], [{ n: 2 }]);
  });

  t.test("grants someone made by hand are not the repair's", async (t) => {
    await root.query("CREATE USER IF NOT EXISTS `report_ro`@'%' IDENTIFIED BY 'x-Report-1'");
    await root.query("GRANT SELECT ON `my_%`.* TO `report_ro`@'%'");
    t.same(await admin.repairGrants(), []);
    t.same(await grantsOf('report_ro'), [{ host: '%', db: 'my_%' }]);
    await root.query("DROP USER `report_ro`@'%'");
  });

  t.test('the server has no anonymous account and no grant on test databases an app could use', async (t) => {
    const [anonymous] = await root.query("SELECT Host AS host FROM mysql.user WHERE User = ''");
    t.same(anonymous, []);
    const [others] = await root.query(
      "SELECT User AS user, Db AS db FROM mysql.db WHERE User NOT IN ('my_shop', 'myxshop', 'a_b', 'axb', 'prov_shop')",
    );
    t.same(others, [], 'only the apps have database grants');
  });
});

t.test('RabbitMQ: a vhost and a user per app, each confined to its own', async (t) => {
  const { amqpPort, apiPort, adminPassword } = await rabbitmq;
  const name = rabbitName;
  const admin = new RabbitMqAdmin({
    url: `http://${HOST}:${apiPort}`,
    user: 'mcadmin',
    password: adminPassword,
    timeoutMs: 3000,
  });
  await waitFor('the management API', async () => (await admin.exists('nothing-yet'), true), 120_000);
  const url = (user: string, password: Sensitive<string>, vhost: string) =>
    amqpUrl({ user, password, host: HOST, port: amqpPort, path: vhost }).reveal();
  /** A connection as the app would open it: from its AMQP_URL. */
  const appConnect = async (user: string, password: Sensitive<string>, vhost: string): Promise<ChannelModel> => {
    const c = await amqpConnect(url(user, password, vhost));
    c.on('error', () => undefined);
    t.teardown(() => c.close().catch(() => undefined));
    return c;
  };
  await waitFor('the AMQP listener', async () => {
    const c = await amqpConnect(url('mcadmin', adminPassword, '/'));
    await c.close();
    return true;
  });
  t.comment(`RabbitMQ ready ${Date.now() - begun} ms after the start`);

  const shopPw = asciiSecret();
  const blogPw = asciiSecret();
  const shop = await admin.ensure('prov-shop', shopPw);
  const blog = await admin.ensure('prov-blog', blogPw);
  t.same(shop, { vhost: 'prov_shop', user: 'prov_shop' });
  t.same(blog, { vhost: 'prov_blog', user: 'prov_blog' });
  t.equal(await admin.exists('prov-blog'), true);

  t.test('each app publishes and consumes on its own vhost', async (t) => {
    for (const [app, pw] of [
      [shop, shopPw],
      [blog, blogPw],
    ] as const) {
      const c = await appConnect(app.user, pw, app.vhost);
      const ch = await c.createChannel();
      await ch.assertQueue('jobs', { durable: false });
      ch.sendToQueue('jobs', Buffer.from(`job for ${app.user}`));
      const body = await new Promise<string>((resolve) => {
        void ch.consume('jobs', (msg) => {
          if (msg) {
            ch.ack(msg);
            resolve(msg.content.toString());
          }
        });
      });
      t.equal(body, `job for ${app.user}`, app.user);
      await ch.close();
    }
  });

  t.test("and is refused on the other app's vhost, or with the other's password", async (t) => {
    // amqplib reports a refused vhost as a bare ConnectionClose; the broker's log says why.
    t.match(await messageOf(appConnect(shop.user, shopPw, blog.vhost)), /got <ConnectionClose/);
    t.match(await messageOf(appConnect(shop.user, shopPw, '/')), /got <ConnectionClose/);
    // The broker writes its log line a moment after it closes the connection.
    const refusals = [
      "access to vhost 'prov_blog' refused for user 'prov_shop'",
      "access to vhost '/' refused for user 'prov_shop'",
    ];
    const logged = await waitFor(
      'the refusals in the broker log',
      async () => {
        const log = (await docker.getContainer(name).logs({ stdout: true, stderr: true })).toString();
        return refusals.every((r) => log.includes(r)) ? true : undefined;
      },
      10_000,
      200,
    ).catch(() => false);
    t.ok(logged, 'the broker logged both refusals as vhost access refusals');
    t.match(await messageOf(appConnect(blog.user, shopPw, blog.vhost)), /ACCESS_REFUSED/);
  });

  t.test('ensure again re-keys: the old password is refused, the new one works', async (t) => {
    const newPw = asciiSecret();
    t.same(await admin.ensure('prov-shop', newPw), shop);
    t.match(await messageOf(appConnect(shop.user, shopPw, shop.vhost)), /ACCESS_REFUSED/);
    const c = await appConnect(shop.user, newPw, shop.vhost);
    const ch = await c.createChannel();
    t.equal((await ch.checkQueue('jobs')).queue, 'jobs', 'the vhost and its queue stayed');
    await ch.close();
  });

  t.test('drop removes the user and the vhost, and closes its connections', async (t) => {
    const open = await appConnect(blog.user, blogPw, blog.vhost);
    const closed = new Promise<boolean>((resolve) => {
      open.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 10_000);
    });
    await admin.drop('prov-blog');
    t.equal(await closed, true, 'the connection opened before the drop was closed by the broker');
    t.equal(await admin.exists('prov-blog'), false);
    t.match(await messageOf(appConnect(blog.user, blogPw, blog.vhost)), /ACCESS_REFUSED/);
    const auth = `Basic ${Buffer.from(`mcadmin:${adminPassword.reveal()}`).toString('base64')}`;
    const user = await fetch(`http://${HOST}:${apiPort}/api/users/prov_blog`, {
      headers: { authorization: auth },
    });
    t.equal(user.status, 404, 'the user is gone');
    await admin.drop('prov-blog');
    t.pass('dropping again is fine');
    t.equal(await admin.exists('prov-shop'), true, 'the other app is untouched');
  });

  t.test('a wrong admin password is a coded error with the status, not the password', async (t) => {
    const wrong = new Sensitive(`${adminPassword.reveal()}x`);
    const bad = new RabbitMqAdmin({ url: `http://${HOST}:${apiPort}`, user: 'mcadmin', password: wrong });
    const appPw = asciiSecret();
    const text = await messageOf(bad.ensure('prov-shop', appPw));
    t.match(
      text,
      new RegExp(
        `^MC_MESSAGEBUS: RabbitMQ management API at http://${HOST.replaceAll('.', '\\.')}:\\d+: PUT /api/vhosts/prov_shop: 401 Unauthorized`,
      ),
    );
    for (const pw of [wrong, adminPassword, appPw]) t.notMatch(text, pw.reveal());
  });
});
