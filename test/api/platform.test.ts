import t from 'tap';
import { admin, testApp } from './helpers/app.js';

t.test('nodes: list, join command, labels, drain and activate; unknown ids 404, bad changes 400', async (t) => {
  const { app, nodes } = await testApp();
  t.teardown(() => app.close());
  const list = await app.inject({ method: 'GET', url: '/v1/nodes', headers: admin });
  t.equal(list.statusCode, 200);
  t.same(
    list.json().nodes.map((n: { id: string; role: string }) => [n.id, n.role]),
    [
      ['mgr1abcdef012345', 'manager'],
      ['wrk1abcdef012345', 'worker'],
    ],
  );
  const join = await app.inject({ method: 'GET', url: '/v1/nodes/join-command', headers: admin });
  t.match(join.json(), { command: /join-worker\.sh/ });
  const labels = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/wrk1abcdef012345',
    headers: admin,
    payload: { labels: { disk: 'ssd', zone: null } },
  });
  t.equal(labels.statusCode, 200);
  t.same(labels.json().labels, { disk: 'ssd' });
  const drain = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/wrk1abcdef012345',
    headers: admin,
    payload: { availability: 'drain' },
  });
  t.equal(drain.json().availability, 'drain');
  t.equal(nodes.nodes[1]?.availability, 'drain');
  const active = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/wrk1abcdef012345',
    headers: admin,
    payload: { availability: 'active' },
  });
  t.equal(active.json().availability, 'active');
  const unknown = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/nope123',
    headers: admin,
    payload: { availability: 'drain' },
  });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { code: 'MC_NODE_NOT_FOUND' });
  const bad = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/wrk1abcdef012345',
    headers: admin,
    payload: { availability: 'off' },
  });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors, [{ field: 'body.availability', message: 'must be one of: active, pause, drain' }]);
  const badKey = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/wrk1abcdef012345',
    headers: admin,
    payload: { labels: { 'a b': 'x' } },
  });
  t.equal(badKey.statusCode, 400);
  t.same(badKey.json().errors, [{ field: 'body.labels.a b', message: 'is not a valid label key' }]);
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/v1/nodes/wrk1abcdef012345', headers: admin, payload: {} })).statusCode,
    400,
  );
  t.equal(
    (
      await app.inject({
        method: 'PATCH',
        url: '/v1/nodes/..%2F..',
        headers: admin,
        payload: { availability: 'drain' },
      })
    ).statusCode,
    400,
  );
});

t.test('registry: repositories with tag counts and sizes (shared layers once), tags by repository', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const repos = await app.inject({ method: 'GET', url: '/v1/registry/repositories', headers: admin });
  t.equal(repos.statusCode, 200);
  t.same(repos.json(), {
    repositories: [
      { name: 'team/hello', tags: 2, bytes: 410 },
      { name: 'tools/db', tags: 1, bytes: 50 },
    ],
    totalBytes: 460,
  });
  const tags = await app.inject({ method: 'GET', url: '/v1/registry/tags?repository=team/hello', headers: admin });
  t.same(tags.json().tags, [
    { repository: 'team/hello', tag: '1', digest: 'sha256:aa', size: 300 },
    { repository: 'team/hello', tag: '2', digest: 'sha256:bb', size: 310 },
  ]);
  t.notMatch(tags.body, /blobs/, 'responses carry what the schema says, nothing more');
  t.equal((await app.inject({ method: 'GET', url: '/v1/registry/tags', headers: admin })).json().tags.length, 3);
  t.equal((await app.inject({ method: 'GET', url: '/v1/registry/tags?x=1', headers: admin })).statusCode, 400);
});

t.test('stacks: deploy a raw compose file (a job), status, remove; bad files and names rejected', async (t) => {
  const { app, stacks } = await testApp();
  t.teardown(() => app.close());
  const compose = 'services:\n  web:\n    image: nginx\n';
  const deploy = await app.inject({
    method: 'POST',
    url: '/v1/stacks?wait=true',
    headers: admin,
    payload: { name: 'tools', compose },
  });
  t.equal(deploy.statusCode, 200);
  t.same(deploy.json(), {
    stack: 'tools',
    actions: ['create service tools_web'],
    services: [{ name: 'tools_web', state: 'converged', running: 1, desired: 1 }],
  });
  t.equal(stacks.stacks.get('tools'), compose);
  const queued = await app.inject({
    method: 'POST',
    url: '/v1/stacks',
    headers: admin,
    payload: { name: 'tools', compose, prune: true },
  });
  t.equal(queued.statusCode, 202);
  t.match(queued.json(), { kind: 'stack.deploy', app: 'stack:tools' });
  const status = await app.inject({ method: 'GET', url: '/v1/stacks/tools', headers: admin });
  t.match(status.json(), { name: 'tools', services: [{ name: 'tools_web', running: 1 }] });
  const invalid = await app.inject({
    method: 'POST',
    url: '/v1/stacks?wait=true',
    headers: admin,
    payload: { name: 'bad', compose: 'version: "3"\n' },
  });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), { code: 'MC_COMPOSE_INVALID', errors: [{ field: 'services' }] });
  const badName = await app.inject({
    method: 'POST',
    url: '/v1/stacks',
    headers: admin,
    payload: { name: 'Bad Name', compose },
  });
  t.equal(badName.statusCode, 400);
  t.match(badName.json().errors, [{ field: 'body.name' }]);
  const rm = await app.inject({ method: 'DELETE', url: '/v1/stacks/tools', headers: admin });
  t.same(rm.json(), { removed: ['tools_web', 'tools_default'] });
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/stacks/tools', headers: admin })).statusCode, 404);
  const gone = await app.inject({ method: 'GET', url: '/v1/stacks/tools', headers: admin });
  t.equal(gone.statusCode, 404);
  t.match(gone.json(), { code: 'MC_STACK_NOT_FOUND' });
});

t.test("images: an image's manifest is read without deploying", async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/v1/images/manifest',
    headers: admin,
    payload: { image: 'registry.example.com/team/shop:3' },
  });
  t.equal(res.statusCode, 200);
  t.match(res.json(), {
    image: 'registry.example.com/team/shop:3',
    file: 'cloud_manifest.yml',
    text: /name: shop/,
    manifest: { name: 'shop', needs: ['database'] },
  });
  const none = await app.inject({
    method: 'POST',
    url: '/v1/images/manifest',
    headers: admin,
    payload: { image: 'registry.example.com/x:1' },
  });
  t.equal(none.statusCode, 404);
  t.match(none.json(), { code: 'MC_MANIFEST_NOT_FOUND' });
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/images/manifest', headers: admin, payload: { image: '' } }))
      .statusCode,
    400,
  );
  t.equal(apps.records.size, 0);
});

t.test('webhook repositories: Docker Hub names match the app image with or without a registry host', async (t) => {
  const { repositoryOf, sameRepository } = await import('@minicloud/api');
  t.equal(repositoryOf('reg.example.com:5443/team/app:1.2@sha256:' + 'a'.repeat(64)), 'reg.example.com:5443/team/app');
  t.equal(repositoryOf('localhost:5000/app'), 'localhost:5000/app');
  t.ok(sameRepository('nginx', 'library/nginx'));
  t.ok(sameRepository('docker.io/team/app', 'team/app'));
  t.ok(sameRepository('reg.example.com:5443/team/app', 'team/app'));
  t.notOk(sameRepository('team/app', 'team/other'));
  t.notOk(sameRepository('team/app', 'evil/app'));
});
