import t from 'tap';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { isMinicloudError, RedisAdmin, Sensitive } from '@minicloud/core';

// A local TCP server speaking just enough RESP stands in for Redis: it records each command
// the admin sends and answers what a test tells it to. The real server is in
// test/engine/provision-redis.test.ts.

type Reply = string; // raw RESP
type Answer = (args: string[], connection: number) => Reply;

/** Splits RESP arrays of bulk strings off `buffer`; returns the commands and the rest. */
function parse(buffer: Buffer): { commands: string[][]; rest: Buffer } {
  const commands: string[][] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = () => {
      const end = buffer.indexOf('\r\n', at);
      if (end < 0) return undefined;
      const text = buffer.subarray(at, end).toString();
      at = end + 2;
      return text;
    };
    const head = line();
    if (head === undefined || !head.startsWith('*')) return { commands, rest: buffer.subarray(start) };
    const args: string[] = [];
    let complete = true;
    for (let i = 0; i < Number(head.slice(1)); i++) {
      const len = line();
      if (len === undefined || at + Number(len.slice(1)) + 2 > buffer.length) {
        complete = false;
        break;
      }
      args.push(buffer.subarray(at, at + Number(len.slice(1))).toString());
      at += Number(len.slice(1)) + 2;
    }
    if (!complete) return { commands, rest: buffer.subarray(start) };
    commands.push(args);
  }
}

async function fakeRedis(answer: Answer) {
  const seen: string[][] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const n = ++connections;
    sockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { commands, rest } = parse(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const args of commands) {
        seen.push(args);
        socket.write(answer(args, n));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port, seen, connections: () => connections };
}

const ok = '+OK\r\n';
const password = new Sensitive('admin-Secret-1234');

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : String(error);
  }
}

t.test('ensure: authenticates as the admin, defines the user whole, saves the ACL file', async (t) => {
  const fake = await fakeRedis(() => ok);
  const admin = new RedisAdmin({ host: '127.0.0.1', port: fake.port, password });
  const appPw = new Sensitive("app'Secret-5678");
  t.same(await admin.ensure('my-shop', appPw), { user: 'my_shop', prefix: 'my_shop:' });
  const auth = fake.seen.find((c) => c[0]?.toUpperCase() === 'AUTH' || c[0]?.toUpperCase() === 'HELLO');
  t.ok(auth?.includes('mcadmin') && auth.includes(password.reveal()), 'as mcadmin with its password');
  const setuser = fake.seen.find((c) => c[0] === 'ACL' && c[1] === 'SETUSER');
  t.same(setuser?.slice(0, 4), ['ACL', 'SETUSER', 'my_shop', 'reset']);
  t.match(setuser?.[4], /^#[0-9a-f]{64}$/);
  t.notOk(JSON.stringify(fake.seen).includes(appPw.reveal()), "the app's password never goes over the wire");
  t.same(fake.seen.at(-1), ['ACL', 'SAVE']);
});

t.test('drop: the user, the ACL file, then the keys of a full SCAN of the prefix', async (t) => {
  const fake = await fakeRedis((args) => {
    if (args[0] === 'SCAN' && args[1] === '0') return '*2\r\n$2\r\n17\r\n*2\r\n$9\r\nmy_shop:a\r\n$9\r\nmy_shop:b\r\n';
    if (args[0] === 'SCAN') return '*2\r\n$1\r\n0\r\n*1\r\n$9\r\nmy_shop:c\r\n';
    if (args[0] === 'UNLINK') return `:${args.length - 1}\r\n`;
    if (args[0] === 'ACL' && args[1] === 'DELUSER') return ':1\r\n';
    return ok;
  });
  await new RedisAdmin({ host: '127.0.0.1', port: fake.port, password }).drop('my-shop');
  const ours = fake.seen.filter((c) => ['ACL', 'SCAN', 'UNLINK'].includes(c[0]!));
  t.same(ours, [
    ['ACL', 'DELUSER', 'my_shop'],
    ['ACL', 'SAVE'],
    ['SCAN', '0', 'MATCH', 'my_shop:*', 'COUNT', '500'],
    ['UNLINK', 'my_shop:a', 'my_shop:b'],
    ['SCAN', '17', 'MATCH', 'my_shop:*', 'COUNT', '500'],
    ['UNLINK', 'my_shop:c'],
  ]);
});

t.test('a refused admin password is MC_REDIS naming the server, not the password', async (t) => {
  const fake = await fakeRedis(() => '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  const text = await messageOf(new RedisAdmin({ host: '127.0.0.1', port: fake.port, password }).exists('x'));
  t.match(text, `MC_REDIS: cannot connect to the Redis server mcadmin@127.0.0.1:${fake.port}`);
  t.match(text, /WRONGPASS/);
  t.notMatch(text, password.reveal());
});

t.test('a server still loading its data is waited for, and the call goes through', async (t) => {
  const fake = await fakeRedis((args, connection) => {
    if (connection === 1) return '-LOADING Redis is loading the dataset in memory\r\n';
    if (args[0] === 'ACL' && args[1] === 'GETUSER') return '*0\r\n';
    return ok;
  });
  const admin = new RedisAdmin({ host: '127.0.0.1', port: fake.port, password, unavailableWaitMs: 5000 });
  t.equal(await admin.exists('my-shop'), true);
  t.equal(fake.connections(), 2, 'a second connection after the first met LOADING');
});

t.test('a server that is not there: MC_SERVICE_UNAVAILABLE after the wait, without secrets', async (t) => {
  // A port that was just free: nothing listens there once the fake is closed.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const free = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const started = Date.now();
  const text = await messageOf(
    new RedisAdmin({ host: '127.0.0.1', port: free, password, unavailableWaitMs: 1200 }).ensure('my-shop', password),
  );
  t.match(text, new RegExp(`^MC_SERVICE_UNAVAILABLE: Redis at 127\\.0\\.0\\.1:${free} could not be reached`));
  t.match(text, /ECONNREFUSED/);
  t.notMatch(text, password.reveal());
  t.ok(Date.now() - started >= 1000, 'it waited');
});

t.test('rekey of an app without a user is refused before anything changes', async (t) => {
  const fake = await fakeRedis((args) => (args[0] === 'ACL' && args[1] === 'GETUSER' ? '*-1\r\n' : ok));
  const text = await messageOf(
    new RedisAdmin({ host: '127.0.0.1', port: fake.port, password }).rekey('my-shop', new Sensitive('x-new-1234')),
  );
  t.match(text, /^MC_REDIS: app my-shop has no Redis user my_shop to re-key/);
  t.notOk(fake.seen.some((c) => c[1] === 'SETUSER' || c[1] === 'SAVE'));
});
