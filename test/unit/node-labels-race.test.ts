import t from 'tap';
import type Docker from 'dockerode';
import { setNodeLabels } from '@minicloud/core';

// Two apps purged together each remove their storage label from the same node: the swarm takes
// node updates at the version read, so the later one is "out of sequence". It is read again and
// written on top of the other change, not failed (a purge then stayed `removing`).

function racingNode(conflicts: number) {
  let labels: Record<string, string> = { 'minicloud.storage.a': 'true', 'minicloud.storage.b': 'true' };
  let version = 1;
  let updates = 0;
  const docker = {
    getNode: () => ({
      inspect: async () => ({ ID: 'n1', Version: { Index: version }, Spec: { Role: 'worker', Labels: { ...labels } } }),
      update: async ({ _query, _body }: { _query: { version: number }; _body: { Labels: Record<string, string> } }) => {
        updates++;
        if (conflicts > 0) {
          conflicts--;
          version++; // another change landed in between
          delete labels['minicloud.storage.b'];
          throw Object.assign(new Error('(HTTP code 500) server error - update out of sequence'), { statusCode: 500 });
        }
        if (_query.version !== version) throw new Error('update out of sequence');
        labels = { ..._body.Labels };
        version++;
      },
    }),
  } as unknown as Docker;
  return { docker, labels: () => labels, updates: () => updates };
}

t.test('an update out of sequence is read again and applied on top of the other change', async (t) => {
  const node = racingNode(1);
  await setNodeLabels(node.docker, 'n1', { 'minicloud.storage.a': null });
  t.same(node.labels(), {}, "both labels are gone: the other purge's and this one's");
  t.equal(node.updates(), 2);
});

t.test('a node that keeps changing is given up on after five reads, with the engine error', async (t) => {
  const node = racingNode(10);
  await t.rejects(setNodeLabels(node.docker, 'n1', { 'minicloud.storage.a': null }), {
    code: 'MC_ENGINE',
    message: /out of sequence/,
  });
  t.equal(node.updates(), 5);
});
