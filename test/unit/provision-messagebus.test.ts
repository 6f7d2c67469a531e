import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { isMinicloudError, RabbitMqAdmin, rabbitMqApiPath, Sensitive } from '@minicloud/core';

// A local HTTP server on 127.0.0.1 stands in for the RabbitMQ management API: it records what
// the admin sends and answers what a test tells it to. The real broker is in
// test/engine/provision-db-mq.test.ts.

interface Seen {
  method: string;
  url: string;
  auth: string;
  body: unknown;
}

type Answer = (req: Seen) => { status: number; body?: unknown };

async function fakeBroker(answer: Answer = () => ({ status: 204 })) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization ?? '',
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      seen.push(entry);
      const { status, body } = answer(entry);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, seen, close: () => server.close() };
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
}

const ADMIN_PW = 'admin-Secret-4f1c9a';
const APP_PW = 'app-Secret-77aa21';

t.test('ensure creates the vhost, the user with its password, and permissions on that vhost', async (t) => {
  const broker = await fakeBroker((req) => ({ status: req.method === 'PUT' ? 201 : 204 }));
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: `${broker.url}/`, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  t.same(await mq.ensure('my-shop', new Sensitive(APP_PW)), { vhost: 'my_shop', user: 'my_shop' });
  const basic = `Basic ${Buffer.from(`minicloud:${ADMIN_PW}`).toString('base64')}`;
  t.same(broker.seen, [
    { method: 'PUT', url: '/api/vhosts/my_shop', auth: basic, body: {} },
    { method: 'PUT', url: '/api/users/my_shop', auth: basic, body: { password: APP_PW, tags: '' } },
    {
      method: 'PUT',
      url: '/api/permissions/my_shop/my_shop',
      auth: basic,
      body: { configure: '.*', write: '.*', read: '.*' },
    },
  ]);
});

t.test('drop deletes the user and the vhost, and absent ones are fine', async (t) => {
  const broker = await fakeBroker(() => ({ status: 404, body: { error: 'Object Not Found', reason: 'Not Found' } }));
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  await mq.drop('blog');
  t.same(
    broker.seen.map((s) => `${s.method} ${s.url}`),
    ['DELETE /api/users/blog', 'DELETE /api/vhosts/blog'],
  );
  t.equal(await mq.exists('blog'), false, '404 on the vhost: it does not exist');
});

t.test('exists is true when the vhost answers 200', async (t) => {
  const broker = await fakeBroker(() => ({ status: 200, body: { name: 'blog' } }));
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  t.equal(await mq.exists('blog'), true);
});

t.test('exists is true when only the user is left (a purge that failed between the two deletes)', async (t) => {
  const broker = await fakeBroker((req) =>
    req.url === '/api/users/blog' ? { status: 200, body: {} } : { status: 404 },
  );
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  t.equal(await mq.exists('blog'), true);
  t.same(
    broker.seen.map((s) => `${s.method} ${s.url}`),
    ['GET /api/vhosts/blog', 'GET /api/users/blog'],
  );
});

t.test('a broker that answers an error is not waited for', async (t) => {
  const broker = await fakeBroker(() => ({ status: 401, body: { error: 'not_authorised', reason: 'Login failed' } }));
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  const started = Date.now();
  t.match(await messageOf(mq.drop('blog')), /^MC_MESSAGEBUS: .*401 Unauthorized: not_authorised: Login failed$/);
  t.equal(broker.seen.length, 1, 'one request, no retry');
  t.ok(Date.now() - started < 15_000, 'not the retries of an unreachable broker');
});

t.test('every path segment is URL-encoded; a base path is kept', async (t) => {
  t.equal(rabbitMqApiPath('vhosts', '/'), '/api/vhosts/%2F');
  t.equal(rabbitMqApiPath('permissions', 'a/b', 'c d?e#f'), '/api/permissions/a%2Fb/c%20d%3Fe%23f');
  const broker = await fakeBroker();
  t.teardown(broker.close);
  const mq = new RabbitMqAdmin({ url: `${broker.url}/rabbit/`, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  await mq.drop('blog');
  t.same(
    broker.seen.map((s) => s.url),
    ['/rabbit/api/users/blog', '/rabbit/api/vhosts/blog'],
  );
  t.match(await messageOf(mq.ensure('../users/guest', new Sensitive(APP_PW))), /^MC_APP_NAME_INVALID/);
  t.match(await messageOf(mq.drop('a%2Fb')), /^MC_APP_NAME_INVALID/);
  t.equal(broker.seen.length, 2, 'nothing was sent for the refused names');
});

t.test('errors carry the status and the broker reason, never a password', async (t) => {
  const broker = await fakeBroker((req) => {
    if (req.auth !== `Basic ${Buffer.from(`minicloud:${ADMIN_PW}`).toString('base64')}`) {
      return { status: 401, body: { error: 'not_authorised', reason: 'Login failed' } };
    }
    if (req.url.startsWith('/api/users/')) {
      // A broker that echoes what it was sent: the message must still not show it.
      return { status: 400, body: { error: 'bad_request', reason: `password ${APP_PW} rejected for ${ADMIN_PW}` } };
    }
    return { status: 201 };
  });
  t.teardown(broker.close);
  const wrong = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(`${ADMIN_PW}-old`) });
  const denied = await messageOf(wrong.drop('shop'));
  t.equal(
    denied,
    `MC_MESSAGEBUS: RabbitMQ management API at ${broker.url}: DELETE /api/users/shop: 401 Unauthorized: not_authorised: Login failed`,
  );
  const mq = new RabbitMqAdmin({ url: broker.url, user: 'minicloud', password: new Sensitive(ADMIN_PW) });
  const echoed = await messageOf(mq.ensure('shop', new Sensitive(APP_PW)));
  t.equal(
    echoed,
    `MC_MESSAGEBUS: RabbitMQ management API at ${broker.url}: PUT /api/users/shop: 400 Bad Request: bad_request: password [redacted] rejected for [redacted]`,
  );
  for (const text of [denied, echoed]) {
    t.notMatch(text, APP_PW);
    t.notMatch(text, ADMIN_PW);
  }
});

t.test('an unreachable broker is waited for, then a coded error naming the URL, not the password', async (t) => {
  const broker = await fakeBroker();
  const url = broker.url;
  broker.close();
  const mq = new RabbitMqAdmin({
    url,
    user: 'minicloud',
    password: new Sensitive(ADMIN_PW),
    timeoutMs: 2000,
    unavailableWaitMs: 400,
  });
  const text = await messageOf(mq.ensure('shop', new Sensitive(APP_PW)));
  t.equal(
    text,
    `MC_SERVICE_UNAVAILABLE: RabbitMQ at ${url} could not be reached for 400 ms ` +
      `(cannot reach the RabbitMQ management API at ${url} (PUT /api/vhosts/shop): ECONNREFUSED); ` +
      'its task may be restarting: try again once it runs',
  );
  t.notMatch(text, ADMIN_PW);
  t.notMatch(text, APP_PW);
});

t.test('a broker that comes back within the wait: the call goes through', async (t) => {
  const first = await fakeBroker();
  const port = Number(new URL(first.url).port);
  first.close();
  const mq = new RabbitMqAdmin({
    url: first.url,
    user: 'minicloud',
    password: new Sensitive(ADMIN_PW),
    unavailableWaitMs: 10_000,
  });
  const seen: string[] = [];
  // The broker's task restarts: the same address answers again 1.5 s later.
  const back = new Promise<ReturnType<typeof createServer>>((resolve) =>
    setTimeout(() => {
      const server = createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      });
      server.listen(port, '127.0.0.1', () => resolve(server));
    }, 1500),
  );
  t.teardown(async () => (await back).close());
  const started = Date.now();
  t.same(await mq.ensure('shop', new Sensitive(APP_PW)), { vhost: 'shop', user: 'shop' });
  t.ok(Date.now() - started >= 1400, 'it waited');
  t.same(seen, ['PUT /api/vhosts/shop', 'PUT /api/users/shop', 'PUT /api/permissions/shop/shop']);
});

t.test('a management URL with credentials in it is refused', async (t) => {
  t.throws(
    () =>
      new RabbitMqAdmin({ url: `http://minicloud:${ADMIN_PW}@127.0.0.1:1`, user: 'x', password: new Sensitive('y') }),
    { code: 'MC_MESSAGEBUS', message: /without credentials/ },
  );
  t.throws(() => new RabbitMqAdmin({ url: 'not a url', user: 'x', password: new Sensitive('y') }), {
    code: 'MC_MESSAGEBUS',
  });
});

t.test('a broker that accepts and never answers is waited for, a bounded time, then a coded error', async (t) => {
  // RabbitMQ does this while it starts: the request must end by its own timer.
  const sockets: Socket[] = [];
  const server = createTcpServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const mq = new RabbitMqAdmin({
    url: `http://127.0.0.1:${address.port}`,
    user: 'minicloud',
    password: new Sensitive(ADMIN_PW),
    timeoutMs: 300,
    unavailableWaitMs: 500,
  });
  const started = Date.now();
  t.equal(
    await messageOf(mq.exists('shop')),
    `MC_SERVICE_UNAVAILABLE: RabbitMQ at http://127.0.0.1:${address.port} could not be reached for 500 ms ` +
      `(cannot reach the RabbitMQ management API at http://127.0.0.1:${address.port} (GET /api/vhosts/shop): timed out); ` +
      'its task may be restarting: try again once it runs',
  );
  t.ok(Date.now() - started < 20_000, 'promptly: not the minute of a waiting call');
});
