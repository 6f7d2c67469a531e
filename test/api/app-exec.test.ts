import t from 'tap';
import { admin, testApp } from './helpers/app.js';

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
  const { token } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web' } })
  ).json();
  const ci = { authorization: `Bearer ${token}` };
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
