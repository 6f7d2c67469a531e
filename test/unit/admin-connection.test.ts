import t from 'tap';
import { isMinicloudError, Sensitive, withAdminConnection, type AdminServer } from '@minicloud/core';

// The session every admin adapter (MariaDB, PostgreSQL, Redis) holds: opened per call, always
// closed, tried again whole while the server cannot be reached, its errors coded and without secrets.

interface Log {
  opened: number;
  closed: number;
}

function server(log: Log, open: () => Promise<string>): AdminServer<string> {
  return {
    service: 'TestDB at db:1234',
    kind: 'test server',
    address: 'db:1234',
    user: 'admin',
    secrets: [new Sensitive('hunter2')],
    code: 'MC_DATABASE',
    unreachable: (error) => (error as { code?: string }).code === 'ECONNREFUSED',
    waitMs: 3_000,
    open: async () => {
      const connection = await open();
      log.opened++;
      return connection;
    },
    close: () => {
      log.closed++;
    },
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

t.test('runs the work on an open connection and closes it', async (t) => {
  const log = { opened: 0, closed: 0 };
  const result = await withAdminConnection(
    server(log, async () => 'conn'),
    async (connection, call) => call('read', async () => `${connection}: ok`),
  );
  t.equal(result, 'conn: ok');
  t.same(log, { opened: 1, closed: 1 });
});

t.test('an answer from the server is a coded error naming the call, without the password, and no retry', async (t) => {
  const log = { opened: 0, closed: 0 };
  let calls = 0;
  const error = await withAdminConnection(
    server(log, async () => 'conn'),
    (_connection, call) =>
      call('create user', async () => {
        calls++;
        throw Object.assign(new Error("Access denied for 'hunter2'"), { code: 'ER_ACCESS' });
      }),
  ).catch((e: unknown) => e);
  t.ok(isMinicloudError(error));
  t.match(error, { code: 'MC_DATABASE', message: /^test server db:1234: create user: ER_ACCESS: Access denied/ });
  t.notMatch((error as Error).message, /hunter2/, 'the secret is redacted');
  t.equal(calls, 1, 'not tried again');
  t.same(log, { opened: 1, closed: 1 }, 'closed after the failure');
});

t.test('a server that cannot be reached is waited for, the whole session tried again', async (t) => {
  const log = { opened: 0, closed: 0 };
  let attempts = 0;
  const result = await withAdminConnection(
    server(log, async () => {
      if (++attempts < 2) throw refused();
      return 'conn';
    }),
    async () => 'done',
  );
  t.equal(result, 'done');
  t.equal(attempts, 2);
  t.same(log, { opened: 1, closed: 1 });
});

t.test('a failed connect names the account and the server', async (t) => {
  const log = { opened: 0, closed: 0 };
  const failing = {
    ...server(log, async () => 'conn'),
    open: async (): Promise<string> => Promise.reject(new Error('bad handshake')),
  };
  await t.rejects(
    withAdminConnection(failing, async () => 'never'),
    {
      code: 'MC_DATABASE',
      message: 'cannot connect to the test server admin@db:1234: bad handshake',
    },
  );
  t.same(log, { opened: 0, closed: 0 }, 'nothing to close');
});

t.test('errors the work throws itself pass as they are', async (t) => {
  const log = { opened: 0, closed: 0 };
  const mine = new Error('mine');
  await t.rejects(
    withAdminConnection(
      server(log, async () => 'conn'),
      async () => Promise.reject(mine),
    ),
    mine,
  );
  t.same(log, { opened: 1, closed: 1 });
});
