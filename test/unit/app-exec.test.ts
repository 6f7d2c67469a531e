import t from 'tap';
import { agentAddresses, checkCommand, NODE_AGENT_NETWORK, parseTaskName } from '@minicloud/core';

// The pure parts of `app exec`: the command's checks, task names, and which address each
// node's agent has (only a running agent task, only its address on the agents network).

t.test('checkCommand takes 1 to 64 string arguments, none with NUL, the program not empty', async (t) => {
  t.same(checkCommand(['sh', '-c', 'echo "$HOME"']), ['sh', '-c', 'echo "$HOME"']);
  const bad: [unknown, RegExp][] = [
    [[], /at least one argument/],
    ['ls -l', /a list/],
    [['ls', 3], /argument 1 must be a string/],
    [Array.from({ length: 65 }, () => 'x'), /at most 64/],
    [['x'.repeat(4097)], /longer than 4096/],
    [['cat', 'a\0b'], /argument 1 holds a NUL/],
    [[''], /argument 0\) must not be empty/],
  ];
  for (const [command, message] of bad) t.throws(() => checkCommand(command), { code: 'MC_SETTINGS_INVALID', message });
});

t.test('parseTaskName reads SERVICE.SLOT as app show names tasks', async (t) => {
  t.same(parseTaskName('web.1'), { service: 'web', slot: 1 });
  t.same(parseTaskName('queue-worker.12'), { service: 'queue-worker', slot: 12 });
  for (const bad of ['web', 'web.0', 'web.x', 'Web.1', '.1', 'web.1.2', 'web.1234567'])
    t.equal(parseTaskName(bad), undefined, bad);
});

t.test("agentAddresses: each node's running agent at its address on the agents network", async (t) => {
  const on = (network: string, address: string) => ({ Network: { Spec: { Name: network } }, Addresses: [address] });
  const found = agentAddresses([
    {
      NodeID: 'mgr',
      Status: { State: 'running' },
      NetworksAttachments: [on('ingress', '10.0.0.5/24'), on(NODE_AGENT_NETWORK, '10.0.9.3/24')],
    },
    { NodeID: 'w1', Status: { State: 'running' }, NetworksAttachments: [on(NODE_AGENT_NETWORK, '10.0.9.4/24')] },
    { NodeID: 'w2', Status: { State: 'starting' }, NetworksAttachments: [on(NODE_AGENT_NETWORK, '10.0.9.5/24')] },
    { NodeID: 'w3', Status: { State: 'running' }, NetworksAttachments: [on('minicloud-proxy', '10.0.1.7/24')] },
  ]);
  t.same(
    [...found],
    [
      ['mgr', '10.0.9.3'],
      ['w1', '10.0.9.4'],
    ],
  );
});
