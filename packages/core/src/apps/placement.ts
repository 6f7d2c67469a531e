import type { NodeSummary } from '../engine/swarm.js';
import { storageNodeLabel } from '../labels.js';
import type { ServiceStatus } from '../stack/status.js';

/** A node an app needs that is not ready now, and what that means for the app. */
export interface PlacementTrouble {
  /** The node's hostname (its id when the engine gives none). */
  node: string;
  /** The node's state as the swarm reports it: down, unknown, disconnected. */
  state: string;
  /** Whether the app is pinned there (its storage is on it): it cannot run anywhere else. */
  pinned: boolean;
  message: string;
}

/**
 * What a lost node does to an app. An app whose storage is on the lost node is pinned there:
 * the swarm cannot start it elsewhere, and its task on that node last reported "running" (the
 * node no longer reports at all), so without this the app would read as merely "down" with no
 * reason. Tasks of an app that is not pinned move to another node by themselves; until they
 * have, the lost node is named so that "degraded" has a cause.
 */
export function placementTrouble(
  app: string,
  services: readonly ServiceStatus[],
  nodes: readonly NodeSummary[],
): PlacementTrouble[] {
  const notReady = new Map(nodes.filter((n) => n.state !== 'ready').map((n) => [n.id, n]));
  if (notReady.size === 0) return [];
  const troubles: PlacementTrouble[] = [];
  const named = (n: NodeSummary) => n.hostname || n.id;

  const storageLabel = storageNodeLabel(app);
  for (const node of notReady.values()) {
    if (node.labels[storageLabel] !== 'true') continue;
    troubles.push({
      node: named(node),
      state: node.state,
      pinned: true,
      message:
        `its storage is on node ${named(node)}, which is ${node.state}: ` +
        'the app cannot run on another node, and starts again when that node is back',
    });
  }

  // Tasks the swarm still counts on a lost node: the one it last ran there, or a replacement
  // it has not placed elsewhere yet.
  const stranded = new Set<string>();
  for (const service of services) {
    if (service.running >= service.desired) continue;
    for (const task of service.tasks) {
      if (notReady.has(task.node) && (task.desiredState === 'running' || task.state === 'running'))
        stranded.add(task.node);
    }
  }
  for (const id of stranded) {
    const node = notReady.get(id)!;
    if (troubles.some((t) => t.node === named(node))) continue;
    troubles.push({
      node: named(node),
      state: node.state,
      pinned: false,
      message: `a task was on node ${named(node)}, which is ${node.state}: the swarm starts it on another node`,
    });
  }
  return troubles;
}
