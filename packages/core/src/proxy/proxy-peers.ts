import type Docker from 'dockerode';
import { engineMessage } from '../engine/client.js';
import { MinicloudError } from '../errors.js';
import { STACK_NAMESPACE_LABEL } from '../stack/types.js';
import type { TaskAttachmentInfo } from './upstream-addresses.js';

// The addresses the platform's reverse proxy connects from: what the API may trust with
// X-Forwarded-For/Proto/Host. Apps' web services share the proxy network with the API, so
// "anyone on that network" would let an app forge its client address and scheme; only the
// proxy's own running tasks count. They are read from the Engine rather than from the swarm's
// DNS (tasks.<name>), because a name on a shared network is something an app can answer to too.

/** The management stack's proxy service (stacks/management/minicloud.yml, stack `minicloud`). */
export const PROXY_SERVICE = 'minicloud_proxy';
export const MANAGEMENT_STACK = 'minicloud';

export interface PeerServiceInfo {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export interface ProxyPeerOptions {
  /** Default `minicloud_proxy`. */
  service?: string;
  /** The stack that must own it; default `minicloud` (a name no app may take). */
  stack?: string;
}

const withoutPrefix = (cidr: string) => cidr.split('/')[0]!;

/**
 * Pure: every address, on every network, of the proxy service's tasks whose container runs now.
 * The service must carry the management stack's label, so that nothing else of that name
 * counts. A task that stopped drops out: its address goes back to the network's pool, where an
 * app's task could get it next.
 */
export function proxyPeerAddresses(
  services: readonly PeerServiceInfo[],
  tasks: readonly TaskAttachmentInfo[],
  options: ProxyPeerOptions = {},
): string[] {
  const name = options.service ?? PROXY_SERVICE;
  const stack = options.stack ?? MANAGEMENT_STACK;
  const ids = new Set(
    services.filter((s) => s.Spec?.Name === name && s.Spec.Labels?.[STACK_NAMESPACE_LABEL] === stack).map((s) => s.ID),
  );
  const out = new Set<string>();
  for (const t of tasks) {
    if (!t.ServiceID || !ids.has(t.ServiceID) || t.Status?.State !== 'running') continue;
    for (const a of t.NetworksAttachments ?? []) for (const addr of a.Addresses ?? []) out.add(withoutPrefix(addr));
  }
  return [...out].sort();
}

/** Asks the engine (a manager) where the proxy's tasks are: two list calls. */
export async function readProxyPeerAddresses(docker: Docker, options: ProxyPeerOptions = {}): Promise<string[]> {
  const name = options.service ?? PROXY_SERVICE;
  try {
    // The name filter matches prefixes: proxyPeerAddresses() keeps the exact name.
    const services = (await docker.listServices({ filters: { name: [name] } })) as PeerServiceInfo[];
    const ids = services.filter((s) => s.Spec?.Name === name).map((s) => s.ID);
    if (ids.length === 0) return [];
    const tasks = (await docker.listTasks({ filters: { service: ids } })) as TaskAttachmentInfo[];
    return proxyPeerAddresses(services, tasks, options);
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `list the proxy's tasks: ${engineMessage(error)}`);
  }
}
