import type { Command } from 'commander';
import { dockerClient, joinCommand, listNodes, setNodeAvailability, setNodeLabels } from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson, table } from '../table.js';

export function registerNode(program: Command, io: Io): void {
  const node = program.command('node').description('swarm nodes: list, join, label, drain');

  node
    .command('ls')
    .description('list nodes with role, state, availability, address and labels')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const nodes = await listNodes(dockerClient());
      if (flags.json) return printJson(io, nodes);
      const rows = nodes.map((n) => [
        n.id.slice(0, 12) + (n.leader ? ' *' : ''),
        n.hostname,
        n.role,
        n.state,
        n.availability,
        n.address,
        Object.entries(n.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ]);
      table(io, ['ID', 'HOSTNAME', 'ROLE', 'STATE', 'AVAILABILITY', 'ADDRESS', 'LABELS'], rows);
    });

  node
    .command('join-command')
    .description('print the command a new node runs to join the swarm')
    .option('--manager', 'join as a manager instead of a worker')
    .action(async (flags: { manager?: boolean }) => {
      io.out((await joinCommand(dockerClient(), flags.manager ? 'manager' : 'worker')).command);
    });

  node
    .command('label')
    .description('set (key=value) or remove (key=) labels on a node')
    .argument('<node>', 'node ID')
    .argument('<labels...>', 'key=value to set, key= to remove')
    .action(async (id: string, pairs: string[]) => {
      const labels: Record<string, string | null> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`label "${pair}" must be key=value (or key= to remove)`);
        labels[pair.slice(0, eq)] = eq === pair.length - 1 ? null : pair.slice(eq + 1);
      }
      await setNodeLabels(dockerClient(), id, labels);
      io.out('ok');
    });

  node
    .command('drain')
    .description('move every task off a node (maintenance); `node activate` takes tasks again')
    .argument('<node>', 'node ID')
    .action(async (id: string) => {
      await setNodeAvailability(dockerClient(), id, 'drain');
      io.out('ok');
    });

  node
    .command('activate')
    .description('let a drained node take tasks again')
    .argument('<node>', 'node ID')
    .action(async (id: string) => {
      await setNodeAvailability(dockerClient(), id, 'active');
      io.out('ok');
    });
}
