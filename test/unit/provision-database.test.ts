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

t.test('a server that cannot be reached: coded error naming it, without the password', async (t) => {
  const port = await freePort();
  const db = new MariaDbAdmin({ host: '127.0.0.1', port, user: 'root', password: new Sensitive(ADMIN_PW) });
  const text = await messageOf(db.ensure('shop', new Sensitive(APP_PW)));
  t.equal(
    text,
    `MC_DATABASE: cannot connect to the database server root@127.0.0.1:${port}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  t.notMatch(text, ADMIN_PW);
  t.notMatch(text, APP_PW);
});

t.test('a server that hangs up: coded error too', async (t) => {
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
  });
  const text = await messageOf(db.drop('shop'));
  t.match(
    text,
    new RegExp(`^MC_DATABASE: cannot connect to the database server root@127\\.0\\.0\\.1:${address.port}: `),
  );
  t.notMatch(text, ADMIN_PW);
});

t.test('the grant repair on a server not up yet: a coded error, so the API can try again', async (t) => {
  const port = await freePort();
  const db = new MariaDbAdmin({ host: '127.0.0.1', port, user: 'root', password: new Sensitive(ADMIN_PW) });
  const text = await messageOf(db.repairGrants());
  t.match(text, new RegExp(`^MC_DATABASE: cannot connect to the database server root@127\\.0\\.0\\.1:${port}: `));
  t.notMatch(text, ADMIN_PW);
});

t.test('an empty app password is refused', async (t) => {
  const db = new MariaDbAdmin({ host: '127.0.0.1', port: 1, user: 'root', password: new Sensitive(ADMIN_PW) });
  t.match(await messageOf(db.ensure('shop', new Sensitive(''))), /^MC_DATABASE: refusing an empty password/);
});
