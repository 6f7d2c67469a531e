import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import t from 'tap';
import { admin, testApp, deployTokenHeaders } from './helpers/app.js';

// POST /v1/apps/{name}/exec over a fake exec port: the NDJSON answer, the errors before it, and
// who may call it (a deploy token, in its own app only).

const lines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('an exec answers NDJSON: where it runs, its output, its exit code last', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/apps/shop/exec',
    headers: admin,
    payload: { command: ['echo', 'hello', 'there'] },
  });
  t.equal(ok.statusCode, 200);
  t.match(ok.headers['content-type'], /^application\/x-ndjson/);
  t.same(lines(ok.body), [
    { task: 'web.1', node: 'mc-w1' },
    { stream: 'stdout', text: 'hello there\n' },
    { exitCode: 0 },
  ]);
  const failed = await app.inject({
    method: 'POST',
    url: '/v1/apps/shop/exec',
    headers: admin,
    payload: { command: ['fail', '3'], task: 'worker.2' },
  });
  t.equal(failed.statusCode, 200, "a command's failure is its exit code, not the request's");
  t.same(lines(failed.body), [
    { task: 'worker.2', node: 'mc-w1' },
    { stream: 'stderr', text: 'it failed\n' },
    { exitCode: 3 },
  ]);
  t.same(exec.calls, ['shop: echo hello there', 'shop: fail 3']);
});

t.test('bad bodies name the field; an app without a running task is 409; no app is 404', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  const bad: [unknown, string][] = [
    [{}, 'body.command'],
    [{ command: [] }, 'body.command'],
    [{ command: 'ls -l' }, 'body.command'],
    [{ command: Array.from({ length: 65 }, () => 'x') }, 'body.command'],
    [{ command: ['x'.repeat(4097)] }, 'body.command'],
    [{ command: ['ls'], runner: 'Bad_Name' }, 'body.runner'],
    [{ command: ['ls'], task: 'web' }, 'body.task'],
    [{ command: ['ls'], shell: true }, 'body'],
  ];
  for (const [payload, field] of bad) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/apps/shop/exec',
      headers: admin,
      payload: payload as object,
    });
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 60));
    t.match(res.json().errors, [{ field: new RegExp(`^${field.replace('.', '\\.')}`) }], `names ${field}`);
  }
  const idle = await app.inject({
    method: 'POST',
    url: '/v1/apps/shop/exec',
    headers: admin,
    payload: { command: ['ls'], runner: 'idle' },
  });
  t.equal(idle.statusCode, 409);
  t.match(idle.json(), { code: 'MC_TASK_NOT_RUNNING' });
  const none = await app.inject({
    method: 'POST',
    url: '/v1/apps/nope/exec',
    headers: admin,
    payload: { command: ['ls'] },
  });
  t.equal(none.statusCode, 404);
  t.same(exec.calls, [], 'nothing ran');
});

t.test('a deploy token may exec in its own app, never in another app', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  apps.seed('other');
  const ci = await deployTokenHeaders(app, 'web');
  const own = await app.inject({
    method: 'POST',
    url: '/v1/apps/web/exec',
    headers: ci,
    payload: { command: ['echo', 'mine'] },
  });
  t.equal(own.statusCode, 200);
  const theirs = await app.inject({
    method: 'POST',
    url: '/v1/apps/other/exec',
    headers: ci,
    payload: { command: ['cat', '/data/secret'] },
  });
  t.equal(theirs.statusCode, 403);
  t.match(theirs.json(), { code: 'MC_FORBIDDEN' });
  const anonymous = await app.inject({ method: 'POST', url: '/v1/apps/web/exec', payload: { command: ['id'] } });
  t.equal(anonymous.statusCode, 401);
  t.same(exec.calls, ['web: echo mine'], 'only the own app ran a command');
});

t.test('an app being removed takes no exec', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  const inject = (method: string, url: string, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers: admin, ...(payload ? { payload } : {}) });
  t.equal((await inject('POST', '/v1/apps?wait=true', { image: 'registry.example.com/team/shop' })).statusCode, 201);
  apps.failPurge.add('database');
  t.equal((await inject('DELETE', '/v1/apps/shop?purge=true&wait=true')).statusCode, 502, 'the removal stops part way');
  const res = await inject('POST', '/v1/apps/shop/exec', { command: ['ls'] });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { code: 'MC_APP_REMOVING' });
  t.same(exec.calls, []);
});

/** A raw upgrade request as the CLI makes it: the 101's socket, or the refusal's status line. */
function attach(url: string, headers: Record<string, string>, path = '/v1/exec/attach') {
  return new Promise<{ socket?: Duplex; status?: number }>((resolve, reject) => {
    const req = request(new URL(path, url), {
      method: 'POST',
      headers: { connection: 'Upgrade', upgrade: 'tcp', ...headers },
    });
    req.on('upgrade', (_res, socket) => resolve({ socket }));
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('exec -it: a session made by an authorised call, attached once by its id, its code after', async (t) => {
  const { app, apps, exec } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  apps.seed('other');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const made = await app.inject({
    method: 'POST',
    url: '/v1/apps/shop/exec/sessions',
    headers: admin,
    payload: { command: ['sh', '3'], rows: 24, cols: 80 },
  });
  t.equal(made.statusCode, 201);
  const { id, attach: path } = made.json();
  t.match(made.json(), { id: /^[A-Za-z0-9_-]{43}$/, task: 'web.1', node: 'mc-w1', attach: '/v1/exec/attach' });
  t.same(exec.resizes, ['24x80']);

  const state = (app_: string) =>
    app.inject({ method: 'GET', url: `/v1/apps/${app_}/exec/sessions/${id}`, headers: admin });
  t.equal((await state('other')).statusCode, 404, "another app's name does not reach the session");
  t.equal((await attach(url, {})).status, 404, 'no id: refused');
  t.equal((await attach(url, { 'x-minicloud-exec-session': 'A'.repeat(43) })).status, 404, 'a made-up id: refused');
  t.equal(
    (await attach(url, { 'x-minicloud-exec-session': id }, '/v1/apps/shop')).status,
    400,
    'upgrades elsewhere: refused',
  );

  const { socket } = await attach(url, { 'x-minicloud-exec-session': id }, path);
  t.ok(socket, 'attached: 101');
  const got = await new Promise<string>((resolve) => {
    let text = '';
    socket!.on('data', (c: Buffer) => (text += c.toString()));
    socket!.on('close', () => resolve(text));
    socket!.write('whoami\n\u0004');
  });
  t.equal(got, 'WHOAMI\n');
  t.same((await state('shop')).json(), { running: false, exitCode: 3 });
  t.equal((await attach(url, { 'x-minicloud-exec-session': id }, path)).status, 404, 'an id attaches once');

  const resize = await app.inject({
    method: 'POST',
    url: `/v1/apps/shop/exec/sessions/${id}/resize`,
    headers: admin,
    payload: { rows: 50, cols: 0 },
  });
  t.equal(resize.statusCode, 400, 'a zero-wide terminal is refused');
  const ok = await app.inject({
    method: 'POST',
    url: `/v1/apps/shop/exec/sessions/${id}/resize`,
    headers: admin,
    payload: { rows: 50, cols: 132 },
  });
  t.equal(ok.statusCode, 204);
  t.same(exec.resizes, ['24x80', '50x132']);

  const ci = await deployTokenHeaders(app, 'other');
  for (const [method, path_] of [
    ['POST', '/v1/apps/shop/exec/sessions'],
    ['GET', `/v1/apps/shop/exec/sessions/${id}`],
    ['POST', `/v1/apps/shop/exec/sessions/${id}/resize`],
  ] as const) {
    const res = await app.inject({
      method,
      url: path_,
      headers: ci,
      payload: method === 'POST' ? { command: ['sh'], rows: 1, cols: 1 } : undefined,
    });
    t.equal(res.statusCode, 403, `another app's deploy token: ${method} ${path_}`);
  }
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/apps/other/exec/sessions',
        headers: ci,
        payload: { command: ['sh'] },
      })
    ).statusCode,
    201,
    'its own app: allowed',
  );
});
