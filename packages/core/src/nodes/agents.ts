import { readFile } from 'node:fs/promises';
import Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { sensitive, type Sensitive } from '../sensitive.js';
import type { NodeEngines } from './engines.js';

// The real NodeEngines: each node's agent (service minicloud_node-agent, one task a node) at its
// task's address on the internal network minicloud_agents, which the API shares with the agents
// alone. The address is looked up in the swarm's task list, never by a DNS name an app could
// claim, and every call carries the agent token.

export const NODE_AGENT_SERVICE = 'minicloud_node-agent';
export const NODE_AGENT_NETWORK = 'minicloud_agents';
export const NODE_AGENT_PORT = 2375;
export const NODE_AGENT_TOKEN_HEADER = 'X-Minicloud-Agent-Token';

interface AgentTask {
  NodeID?: string;
  Status?: { State?: string };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** node id -> the agent's address on the agents network, for the agents that run now. */
export function agentAddresses(tasks: AgentTask[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const task of tasks) {
    if (task.Status?.State !== 'running' || !task.NodeID) continue;
    const attachment = task.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === NODE_AGENT_NETWORK);
    const address = attachment?.Addresses?.[0]?.split('/')[0];
    if (address) out.set(task.NodeID, address);
  }
  return out;
}

export function agentEngines(docker: Docker, token: Sensitive<string>): NodeEngines {
  const clients = new Map<string, { address: string; client: Docker }>();

  async function lookUp(): Promise<Map<string, string>> {
    try {
      const tasks = (await docker.listTasks({
        filters: { service: [NODE_AGENT_SERVICE], 'desired-state': ['running'] },
      })) as AgentTask[];
      return agentAddresses(tasks);
    } catch (error) {
      throw new MinicloudError('MC_NODE_UNREACHABLE', `cannot list the node agents: ${engineMessage(error)}`);
    }
  }

  return {
    async engine(nodeId) {
      const addresses = await lookUp();
      const address = addresses.get(nodeId);
      if (!address) {
        clients.delete(nodeId);
        throw new MinicloudError(
          'MC_NODE_UNREACHABLE',
          `node ${nodeId} has no running node agent (${NODE_AGENT_SERVICE}): is the node down? ` +
            '`minicloud node ls` shows its state',
        );
      }
      const known = clients.get(nodeId);
      if (known?.address === address) return known.client;
      const client = new Docker({
        host: address,
        port: NODE_AGENT_PORT,
        protocol: 'http',
        headers: { [NODE_AGENT_TOKEN_HEADER]: token.reveal() },
      } as Docker.DockerOptions);
      clients.set(nodeId, { address, client });
      return client;
    },
  };
}

/**
 * agentEngines with the token read from its file (secrets/node-agent-token) on first use: a
 * platform installed before the agents existed gets the file on its next install.sh run.
 */
export function agentEnginesFromTokenFile(docker: Docker, tokenFile: string): NodeEngines {
  let engines: NodeEngines | undefined;
  return {
    async engine(nodeId) {
      if (!engines) {
        const token = await readFile(tokenFile, 'utf8').catch(() => {
          throw new MinicloudError(
            'MC_NODE_UNREACHABLE',
            `the node agent token ${tokenFile} is missing: run install/install.sh again to add the node agents`,
          );
        });
        engines = agentEngines(docker, sensitive(token.trim()));
      }
      return engines.engine(nodeId);
    },
  };
}
