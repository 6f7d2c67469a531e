import t from 'tap';
import { createServer, type Server } from 'node:net';
import {
  checkAppName,
  isMinicloudError,
  MariaDbAdmin,
  nativePasswordHash,
  provisionName,
  RabbitMqAdmin,
  Sensitive,
} from '@minicloud/core';

// Names reach SQL identifiers, management-API paths and directories: every attempt to smuggle
// syntax in must be refused before a single byte goes to a server.

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
}

/** A TCP server that only counts connections: any SQL would need one. */
async function connectionCounter(): Promise<{ server: Server; port: number; count: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, count: () => n };
}

const INJECTIONS = [
  "shop'; DROP DATABASE mysql; --",
  'shop`; DROP USER root; --',
  'shop"',
  'shop;',
  'sh op',
  'Shop',
  '../etc',
  'a/b',
  'a.b',
  'a_b',
  '-shop',
  'shop-',
  '',
  'a'.repeat(41),
  'shop\n',
  'shöp',
];

t.test('app names map to database, user and vhost names one to one', async (t) => {
  const db = new MariaDbAdmin({ host: '127.0.0.1', user: 'root', password: new Sensitive('x') });
  const mq = new RabbitMqAdmin({ url: 'http://127.0.0.1:1', user: 'minicloud', password: new Sensitive('x') });
  t.same(db.names('my-shop'), { database: 'my_shop', user: 'my_shop' });
  t.same(db.names('blog2'), { database: 'blog2', user: 'blog2' });
  t.same(mq.names('my-shop'), { vhost: 'my_shop', user: 'my_shop' });
  t.equal(provisionName('a'.repeat(40), []), 'a'.repeat(40), 'the longest app name fits MariaDB (64) and RabbitMQ');
  t.equal(db.appHost, 'mariadb');
  t.equal(db.appPort, 3306);
  t.equal(mq.appHost, 'rabbitmq');
  t.equal(mq.appPort, 5672);
});

t.test('names with quotes, backticks, semicolons, slashes or capitals are refused', async (t) => {
  for (const name of INJECTIONS) {
    t.match(
      await codeOf(() => checkAppName(name)),
      /^MC_APP_NAME_INVALID: app name ".*" must be a DNS label/,
      JSON.stringify(name),
    );
  }
});

t.test('an injection attempt is refused before any connection to MariaDB', async (t) => {
  const counter = await connectionCounter();
  t.teardown(() => counter.server.close());
  const db = new MariaDbAdmin({
    host: '127.0.0.1',
    port: counter.port,
    user: 'root',
    password: new Sensitive('pw-9f8e7d'),
    // One attempt: the hang-up is "cannot reach", which would otherwise be waited out.
    unavailableWaitMs: 0,
  });
  for (const name of INJECTIONS) {
    t.match(await codeOf(db.ensure(name, new Sensitive('secret-pass-1'))), /^MC_APP_NAME_INVALID/);
    t.match(await codeOf(db.drop(name)), /^MC_APP_NAME_INVALID/);
    t.match(await codeOf(db.exists(name)), /^MC_APP_NAME_INVALID/);
  }
  t.equal(counter.count(), 0, 'no connection was opened');
  // The counter is a working stand-in: a valid name does connect (and then fails).
  t.match(await codeOf(db.exists('shop')), /^MC_SERVICE_UNAVAILABLE: MariaDB at 127\.0\.0\.1:/);
  t.equal(counter.count(), 1);
});

t.test("names of the servers' own schemas and accounts are refused", async (t) => {
  const db = new MariaDbAdmin({ host: '127.0.0.1', user: 'dbadmin', password: new Sensitive('x') });
  for (const app of ['mysql', 'root', 'sys', 'information-schema', 'performance-schema', 'test', 'dbadmin']) {
    t.match(await codeOf(() => db.names(app)), /^MC_APP_NAME_INVALID: app name ".*" would take over/, app);
  }
  const mq = new RabbitMqAdmin({ url: 'http://127.0.0.1:1', user: 'mqadmin', password: new Sensitive('x') });
  for (const app of ['guest', 'mqadmin']) {
    t.match(await codeOf(() => mq.names(app)), /^MC_APP_NAME_INVALID: .*would take over/, app);
  }
});

t.test('the password reaches MariaDB only as its native hash, the value PASSWORD() gives', async (t) => {
  // Known answers of MariaDB's SELECT PASSWORD('password') and PASSWORD('') differ in shape;
  // the first is the documented example.
  t.equal(nativePasswordHash(new Sensitive('password')).reveal(), '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  const hash = nativePasswordHash(new Sensitive("a'b\\c`; DROP TABLE x; -- é"));
  t.match(hash.reveal(), /^\*[0-9A-F]{40}$/, 'only hex reaches SQL, whatever the password holds');
  t.equal(String(hash), '[redacted]', 'and the hash stays wrapped');
});
