import type Docker from 'dockerode';
import { engineMessage } from '../engine/client.js';
import { LABELS } from '../labels.js';
import { MANAGEMENT_STACK } from '../proxy/proxy-peers.js';
import { STACK_NAMESPACE_LABEL } from '../stack/types.js';
import { memoryInUse, type DockerStats } from '../apps/stats-figures.js';
import type { NodeEngines } from './engines.js';

// Each node's memory: what it has, and what the platform's own services and each app use of
// it, summed over the swarm task containers that node's engine runs now.

const NODE_LABEL = 'com.docker.swarm.node.id';

export interface NodeMemory {
  nodeId: string;
  hostname: string;
  /** The engine's MemTotal; absent when its engine could not be asked. */
  totalBytes?: number;
  /** The management stack's services (API, proxy, registry, databases...). */
  platformBytes: number;
  apps: { app: string; bytes: number }[];
  /** Other stacks deployed with `minicloud stack`. */
  otherBytes: number;
  error?: string;
}

interface ContainerRow {
  Id: string;
  Labels?: Record<string, string>;
}

/** App names by stack namespace (an app's stack is named after it; the label says it is an app). */
async function appStacks(docker: Docker): Promise<Set<string>> {
  const services = (await docker.listServices({ filters: { label: [LABELS.app] } })) as {
    Spec?: { Labels?: Record<string, string> };
  }[];
  return new Set(services.map((s) => s.Spec?.Labels?.[STACK_NAMESPACE_LABEL] ?? '').filter(Boolean));
}

async function nodeMemory(
  engines: NodeEngines,
  node: { ID: string; Description?: { Hostname?: string } },
  apps: Set<string>,
  platformStack: string,
): Promise<NodeMemory> {
  const out: NodeMemory = {
    nodeId: node.ID,
    hostname: node.Description?.Hostname ?? node.ID,
    platformBytes: 0,
    apps: [],
    otherBytes: 0,
  };
  try {
    const engine = await engines.engine(node.ID);
    const info = (await engine.info()) as { MemTotal?: number };
    if (info.MemTotal) out.totalBytes = info.MemTotal;
    // Only this node's tasks: an engine that answers for several nodes (one-node set-ups)
    // is not counted twice.
    const containers = (await engine.listContainers({
      filters: { label: [`${NODE_LABEL}=${node.ID}`] },
    })) as ContainerRow[];
    const byApp = new Map<string, number>();
    for (const c of containers) {
      const raw = (await engine
        .getContainer(c.Id)
        .stats({ stream: false, 'one-shot': true })
        .catch(() => undefined)) as DockerStats | undefined;
      const bytes = memoryInUse(raw?.memory_stats) ?? 0;
      const stack = c.Labels?.[STACK_NAMESPACE_LABEL] ?? '';
      if (stack === platformStack) out.platformBytes += bytes;
      else if (apps.has(stack)) byApp.set(stack, (byApp.get(stack) ?? 0) + bytes);
      else out.otherBytes += bytes;
    }
    out.apps = [...byApp].map(([app, bytes]) => ({ app, bytes })).sort((a, b) => a.app.localeCompare(b.app));
  } catch (error) {
    out.error = engineMessage(error);
  }
  return out;
}

/** Every node's memory by the platform and each app; a node that cannot be read says why. */
export async function serverMemory(
  docker: Docker,
  engines: NodeEngines,
  options: { platformStack?: string } = {},
): Promise<NodeMemory[]> {
  const nodes = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  const apps = await appStacks(docker);
  const platform = options.platformStack ?? MANAGEMENT_STACK;
  const out = await Promise.all(nodes.map((n) => nodeMemory(engines, n, apps, platform)));
  return out.sort((a, b) => a.hostname.localeCompare(b.hostname));
}
