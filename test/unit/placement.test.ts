import t from 'tap';
import type Docker from 'dockerode';
import { lostNodesOnce, placementTrouble, type NodeSummary, type ServiceStatus } from '@minicloud/core';

// Issue 15, "a worker node is lost": an app whose storage is on the lost node is reported as
// pinned there, not merely "down"; an app whose tasks the swarm moves names the node meanwhile.
const node = (id: string, hostname: string, state: string, labels: Record<string, string> = {}): NodeSummary => ({
  id,
  hostname,
  role: id === 'm' ? 'manager' : 'worker',
  state,
  availability: 'active',
  address: '10.0.0.1',
  leader: id === 'm',
  labels,
});
const task = (nodeId: string, desiredState: string, state: string) => ({
  id: `${nodeId}-${desiredState}-${state}`,
  node: nodeId,
  desiredState,
  state,
  image: 'img',
  updatedAt: '2026-12-07T00:00:00Z',
});
const service = (running: number, desired: number, tasks: ServiceStatus['tasks']): ServiceStatus => ({
  name: 'shop_web',
  id: 's1',
  desired,
  running,
  image: 'img',
  tasks,
});

t.test('no lost node: nothing to say, whatever the tasks', async (t) => {
  const nodes = [node('m', 'mgr', 'ready'), node('w', 'w1', 'ready')];
  t.same(placementTrouble('shop', [service(0, 1, [task('w', 'running', 'pending')])], nodes), []);
});

t.test('storage on the lost node: pinned, with the node named, even with no task listed', async (t) => {
  const nodes = [node('m', 'mgr', 'ready'), node('w', 'w1', 'down', { 'minicloud.storage.shop': 'true' })];
  const troubles = placementTrouble('shop', [service(0, 1, [task('w', 'shutdown', 'running')])], nodes);
  t.equal(troubles.length, 1, 'one trouble for the one node');
  t.match(troubles[0], {
    node: 'w1',
    state: 'down',
    pinned: true,
    message: /storage is on node w1, which is down: the app cannot run on another node/,
  });
  t.same(placementTrouble('shop', [], nodes).length, 1, 'also when its stack lists no task');
});

t.test("another app's storage label on the lost node is not this app's trouble", async (t) => {
  const nodes = [node('m', 'mgr', 'ready'), node('w', 'w1', 'down', { 'minicloud.storage.shop2': 'true' })];
  t.same(placementTrouble('shop', [service(1, 1, [task('m', 'running', 'running')])], nodes), []);
});

t.test('tasks stranded on a lost node while the swarm moves them: named, not pinned', async (t) => {
  const nodes = [node('m', 'mgr', 'ready'), node('w', '', 'unknown')];
  const stranded = service(0, 1, [task('w', 'shutdown', 'running'), task('m', 'running', 'preparing')]);
  t.match(placementTrouble('shop', [stranded], nodes), [
    {
      node: 'w',
      state: 'unknown',
      pinned: false,
      message: /a task was on node w, which is unknown: the swarm starts it/,
    },
  ]);
  const moved = service(1, 1, [task('w', 'shutdown', 'running'), task('m', 'running', 'running')]);
  t.same(placementTrouble('shop', [moved], nodes), [], 'nothing once the service runs all it should');
  const gone = service(0, 1, [task('w', 'shutdown', 'shutdown'), task('m', 'running', 'pending')]);
  t.same(placementTrouble('shop', [gone], nodes), [], 'nor for tasks that ended there before');
});

t.test('the node list is read once for a listing, and a failed read gives none', async (t) => {
  let reads = 0;
  const docker = {
    listNodes: async () => {
      reads++;
      return [{ ID: 'w', Description: { Hostname: 'w1' }, Status: { State: 'down' }, Spec: { Role: 'worker' } }];
    },
  } as unknown as Docker;
  const nodes = lostNodesOnce(docker);
  const [a, b] = await Promise.all([nodes(), nodes()]);
  t.equal(reads, 1);
  t.match(a, [{ id: 'w', hostname: 'w1', state: 'down' }]);
  t.equal(a, b);
  const failing = lostNodesOnce({
    listNodes: async () => Promise.reject(new Error('engine gone')),
  } as unknown as Docker);
  t.same(await failing(), []);
});
