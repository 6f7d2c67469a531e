import { request } from 'node:http';
import t from 'tap';
import { admin, testApp, deployTokenHeaders } from './helpers/app.js';

// Day-two routes over fakes: logs (read and followed), restart, scale; who may call them.

t.test('GET /v1/apps/{name}/logs: the last lines with task, node and time; bad queries name the field', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('talky');
  const res = await app.inject({ method: 'GET', url: '/v1/apps/talky/logs?tail=2', headers: admin });
  t.equal(res.statusCode, 200);
  t.match(res.json().lines, [
    { service: 'web', task: 'web.1', node: 'mc-mgr', stream: 'stdout', line: 'GET / 200 <request 0>' },
    { service: 'web', task: 'web.1', node: 'mc-mgr', stream: 'stdout', line: 'GET / 200 <request 1>' },
  ]);
  t.equal(res.json().lines.length, 2);
  const bad: [string, string][] = [
    ['tail=0', 'querystring.tail'],
    ['since=yesterday', 'querystring.since'],
    ['runner=Bad_Name', 'querystring.runner'],
    ['colour=red', 'querystring'],
  ];
  for (const [query, field] of bad) {
    const r = await app.inject({ method: 'GET', url: `/v1/apps/talky/logs?${query}`, headers: admin });
    t.equal(r.statusCode, 400, query);
    t.match(r.json().errors, [{ field: new RegExp(`^${field.replace('.', '\\.')}`) }], `${query} names ${field}`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/talky/logs?since=10m', headers: admin })).statusCode, 200);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/apps/talky/logs?since=2026-11-26T10:00:00Z', headers: admin }))
      .statusCode,
    200,
  );
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/nope/logs', headers: admin })).statusCode, 404);
});

t.test('GET /v1/apps/{name}/logs?follow=true streams NDJSON until the client leaves', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('talky');
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = new URL('/v1/apps/talky/logs?follow=true&tail=1', address);
  const lines: unknown[] = [];
  const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(url, { headers: admin }, (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop()!;
        for (const p of parts) if (p !== '') lines.push(JSON.parse(p));
        // Several lines arrived one by one, on an open response: a stream, not one answer.
        if (lines.length >= 5) {
          req.destroy();
          resolve({ ...res.headers, status: res.statusCode });
        }
      });
    });
    req.on('error', (error) => (lines.length >= 5 ? undefined : reject(error)));
    req.end();
  });
  t.match(headers, { status: 200, 'content-type': /^application\/x-ndjson/, 'x-accel-buffering': 'no' });
  t.match(lines, [{ task: 'web.1', line: 'GET / 200 <request 0>' }, { line: 'GET / 200 <request 1>' }]);
  const unknown = await app.inject({ method: 'GET', url: '/v1/apps/nope/logs?follow=true', headers: admin });
  t.equal(unknown.statusCode, 404, 'an unknown app is a problem, not an empty stream');
});

t.test('POST /v1/apps/{name}/restart runs a job; a runner it has not is a 404 naming it', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  const ok = await app.inject({ method: 'POST', url: '/v1/apps/web/restart?wait=true', headers: admin });
  t.equal(ok.statusCode, 200);
  t.match(ok.json(), { name: 'web', health: 'healthy' });
  const job = await app.inject({ method: 'POST', url: '/v1/apps/web/restart', headers: admin });
  t.equal(job.statusCode, 202, 'without a body too: the job');
  t.match(job.json(), { kind: 'app.restart', app: 'web' });
  const runner = await app.inject({
    method: 'POST',
    url: '/v1/apps/web/restart?wait=true',
    headers: admin,
    payload: { runner: 'worker' },
  });
  t.equal(runner.statusCode, 404);
  t.match(runner.json(), { code: 'MC_RUNNER_NOT_FOUND', errors: [{ field: 'runner' }] });
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/apps/web/restart',
    headers: admin,
    payload: { runner: 'web', colour: 'red' },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().errors, [{ field: /^body/ }]);
  t.ok(apps.calls.includes('restart web'));
  t.equal((await app.inject({ method: 'POST', url: '/v1/apps/nope/restart', headers: admin })).statusCode, 404);
});

t.test('PATCH /v1/apps/{name} takes runnerReplicas (app scale --runner), refused when malformed', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  const bad: [object, string][] = [
    [{ runnerReplicas: {} }, 'body.runnerReplicas'],
    [{ runnerReplicas: { worker: 101 } }, 'body.runnerReplicas.worker'],
    [{ runnerReplicas: { Worker_1: 1 } }, 'body.runnerReplicas'],
  ];
  for (const [payload, field] of bad) {
    const r = await app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: admin, payload });
    t.equal(r.statusCode, 400, JSON.stringify(payload));
    t.match(r.json().errors, [{ field: new RegExp(`^${field.replace(/\./g, '\\.')}`) }], `names ${field}`);
  }
  const ok = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web',
    headers: admin,
    payload: { runnerReplicas: { worker: 3 } },
  });
  t.equal(ok.statusCode, 202);
});

t.test("a deploy token may read its own app's logs and restart it, never another app's", async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  apps.seed('other');
  const ci = await deployTokenHeaders(app, 'web');
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/web/logs', headers: ci })).statusCode, 200);
  t.equal((await app.inject({ method: 'POST', url: '/v1/apps/web/restart', headers: ci })).statusCode, 202);
  for (const [method, url] of [
    ['GET', '/v1/apps/other/logs'],
    ['GET', '/v1/apps/other/logs?follow=true'],
    ['POST', '/v1/apps/other/restart'],
  ] as const) {
    const res = await app.inject({ method, url, headers: ci });
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.match(res.json(), { code: 'MC_FORBIDDEN' });
  }
  t.notOk(apps.calls.includes('restart other'));
});
