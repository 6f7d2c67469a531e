import type Docker from 'dockerode';
import { listNodes, type NodeSummary } from '../engine/swarm.js';

/**
 * The swarm's nodes, read at most once however many apps of a listing ask, and only when one
 * does (an app not all running). A failed read gives no nodes: an app's status is still worth
 * showing without the cause, and the same engine error shows in its services anyway.
 */
export function lostNodesOnce(docker: Docker): () => Promise<NodeSummary[]> {
  let nodes: Promise<NodeSummary[]> | undefined;
  return () => (nodes ??= listNodes(docker).catch(() => []));
}
