import type Docker from 'dockerode';

// Each node's own Docker Engine, for what the swarm does not relay through the manager: exec in a
// container and its live stats. The API runs on the manager and holds only the manager's socket;
// every node runs a small agent (service `node-agent` of the management stack, one task per node)
// that lets the API's calls reach that node's engine over an internal network no app can join.

export interface NodeEngines {
  /** The engine of the node with this swarm node id; MC_NODE_UNREACHABLE when it has no agent. */
  engine(nodeId: string): Promise<Docker>;
}

/** The manager's engine for every node: right on a one-node swarm, and in focused unit tests. */
export function singleNodeEngines(docker: Docker): NodeEngines {
  return { engine: async () => docker };
}
