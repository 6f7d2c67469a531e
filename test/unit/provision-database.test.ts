import t from 'tap';
import { createServer } from 'node:net';
import { isMinicloudError, MariaDbAdmin, Sensitive } from '@minicloud/core';

// Connection failures name the server and never the password. The real server (access
// denied, grants, re-keying) is in test/engine/provision-db-mq.test.ts.

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
}

const ADMIN_PW = 'root-Secret-19ab3c';
const APP_PW = 'app-Secret-5d6e7f';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

t.test('a server that cannot be reached: waited for, then a coded error naming it, without the password', async (t) => {
  const port = await freePort();
  const db = new MariaDbAdmin({
    host: '127.0.0.1',
    port,
    user: 'root',
    password: new Sensitive(ADMIN_PW),
    unavailableWaitMs: 600,
  });
  const started = Date.now();
  const text = await messageOf(db.ensure('shop', new Sensitive(APP_PW)));
  t.equal(
    text,
    `MC_SERVICE_UNAVAILABLE: MariaDB at 127.0.0.1:${port} could not be reached for 600 ms ` +
      `(cannot connect to the database server root@127.0.0.1:${port}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}); ` +
      'its task may be restarting: try again once it runs',
  );
  t.ok(Date.now() - started >= 500, 'after the wait');
  t.notMatch(text, ADMIN_PW);
  t.notMatch(text, APP_PW);
});

t.test('a server that hangs up: waited for too, then a coded error', async (t) => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const db = new MariaDbAdmin({
    host: '127.0.0.1',
    port: address.port,
    user: 'root',
    password: new Sensitive(ADMIN_PW),
    unavailableWaitMs: 300,
  });
  const text = await messageOf(db.drop('shop'));
  t.match(
    text,
    new RegExp(
      `^MC_SERVICE_UNAVAILABLE: MariaDB at 127\\.0\\.0\\.1:${address.port} could not be reached for 300 ms \\(cannot connect to the database server root@127\\.0\\.0\\.1:${address.port}: `,
    ),
  );
  t.notMatch(text, ADMIN_PW);
});

t.test('the grant repair on a server not up yet: a coded error at once, so the API can try again', async (t) => {
  const port = await freePort();
  const db = new MariaDbAdmin({ host: '127.0.0.1', port, user: 'root', password: new Sensitive(ADMIN_PW) });
  const started = Date.now();
  const text = await messageOf(db.repairGrants());
  t.match(
    text,
    new RegExp(
      `^MC_SERVICE_UNAVAILABLE: MariaDB at 127\\.0\\.0\\.1:${port} could not be reached \\(cannot connect to the database server root@127\\.0\\.0\\.1:${port}: `,
    ),
  );
  t.ok(Date.now() - started < 20_000, 'without the 60 s wait of other calls');
  t.notMatch(text, ADMIN_PW);
});

t.test('an empty app password is refused', async (t) => {
  const db = new MariaDbAdmin({ host: '127.0.0.1', port: 1, user: 'root', password: new Sensitive(ADMIN_PW) });
  t.match(await messageOf(db.ensure('shop', new Sensitive(''))), /^MC_DATABASE: refusing an empty password/);
});
