import t from 'tap';
import {
  isMinicloudError,
  joinCommand,
  listNodes,
  readImageManifest,
  setNodeAvailability,
  setNodeLabels,
} from '@minicloud/core';
import { dockerCli, engineEnv, managerDocker } from '../helpers/engine.js';

const env = engineEnv();
const docker = managerDocker(env);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
}

t.test('the manifest is read out of an image, pulling it from the registry first', async (t) => {
  const image = `${env.registry}/hello:2`;
  await dockerCli(['image', 'rm', image], env).catch(() => undefined);
  const { manifest, file } = await readImageManifest(docker, image);
  t.equal(file, 'cloud_manifest.yml');
  t.match(manifest, { name: 'hello', expose: [{ proto: 'http', port: 80 }], healthcheck: { http: '/health' } });
  const leftovers = await docker.listContainers({ all: true, filters: { ancestor: [image] } });
  t.same(leftovers, [], 'the probe container is removed');
});

t.test('an image without a manifest, or that does not exist, is a clear error', async (t) => {
  t.match(
    await codeOf(readImageManifest(docker, 'minicloud/node:20')),
    /^MC_MANIFEST_NOT_FOUND: image minicloud\/node:20 has no cloud manifest/,
  );
  t.match(
    await codeOf(readImageManifest(docker, `${env.registry}/nothing-here:1`)),
    /^MC_IMAGE_NOT_FOUND: image .*nothing-here:1 is not present and could not be pulled/,
  );
});

t.test('nodes: roles, states, addresses; labels set and removed; drain and activate', async (t) => {
  const nodes = await listNodes(docker);
  t.same(
    nodes.map((n) => n.role),
    ['manager', 'worker'],
  );
  t.ok(
    nodes.every((n) => n.state === 'ready'),
    'both ready',
  );
  const worker = nodes.find((n) => n.role === 'worker')!;
  t.equal(worker.id, env.workerNodeId);
  t.equal(worker.address, env.workerAddr);
  t.equal(worker.labels['minicloud.test'], 'worker1');

  await setNodeLabels(docker, worker.id, { 'minicloud.e2e': 'yes' });
  t.equal((await listNodes(docker)).find((n) => n.id === worker.id)?.labels['minicloud.e2e'], 'yes');
  await setNodeLabels(docker, worker.id, { 'minicloud.e2e': null });
  const after = (await listNodes(docker)).find((n) => n.id === worker.id)!;
  t.notOk('minicloud.e2e' in after.labels);
  t.equal(after.labels['minicloud.test'], 'worker1', 'other labels kept');

  await setNodeAvailability(docker, worker.id, 'drain');
  t.equal((await listNodes(docker)).find((n) => n.id === worker.id)?.availability, 'drain');
  await setNodeAvailability(docker, worker.id, 'active');
  t.equal((await listNodes(docker)).find((n) => n.id === worker.id)?.availability, 'active');
});

t.test('join command: the current token and the manager address', async (t) => {
  const worker = await joinCommand(docker, 'worker');
  const manager = await joinCommand(docker, 'manager');
  const token = (await dockerCli(['swarm', 'join-token', '-q', 'worker'], env)).trim();
  t.equal(worker.token, token);
  t.equal(worker.command, `docker swarm join --token ${token} ${env.swarmAddr}:2377`);
  t.not(manager.token, worker.token);
  t.match(manager.token, /^SWMTKN-/);
});
