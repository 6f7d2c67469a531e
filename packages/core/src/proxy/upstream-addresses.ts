import type Docker from 'dockerode';
import { engineMessage } from '../engine/client.js';
import { MinicloudError } from '../errors.js';

// Where the proxy reaches each app service on the proxy network, as the swarm's manager
// sees it: for a dnsrr service the addresses of its running tasks (swarm reports a task with
// a healthcheck as running only once it is healthy), for a VIP service its virtual IP. The
// proxy's upstream blocks are rendered from this (see proxy/templates.ts).

export interface ServiceEndpointInfo {
  ID: string;
  Spec?: { Name?: string; EndpointSpec?: { Mode?: string } };
  Endpoint?: { VirtualIPs?: { NetworkID?: string; Addr?: string }[] };
}

export interface TaskAttachmentInfo {
  ServiceID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** service name -> its addresses on the network, sorted; services not found are left out. */
export type UpstreamAddresses = Map<string, string[]>;

const withoutPrefix = (cidr: string) => cidr.split('/')[0]!;

/**
 * Pure: the addresses of `names` on the network `network` (its name), from a service and a task
 * listing. A task counts while it runs and is meant to: one the orchestrator is shutting
 * down (desired state no longer running) drops out before its container stops.
 */
export function upstreamAddresses(
  names: readonly string[],
  services: readonly ServiceEndpointInfo[],
  tasks: readonly TaskAttachmentInfo[],
  network: string,
): UpstreamAddresses {
  const out: UpstreamAddresses = new Map();
  const networkIds = new Set<string>();
  const onNetwork = (t: TaskAttachmentInfo) =>
    (t.NetworksAttachments ?? []).filter((a) => a.Network?.Spec?.Name === network);
  for (const t of tasks) for (const a of onNetwork(t)) if (a.Network?.ID) networkIds.add(a.Network.ID);

  for (const name of names) {
    const service = services.find((s) => s.Spec?.Name === name);
    if (!service) continue;
    const addresses = new Set<string>();
    if ((service.Spec?.EndpointSpec?.Mode ?? 'vip') === 'vip') {
      for (const vip of service.Endpoint?.VirtualIPs ?? []) {
        if (vip.Addr && vip.NetworkID && networkIds.has(vip.NetworkID)) addresses.add(withoutPrefix(vip.Addr));
      }
    } else {
      for (const t of tasks) {
        if (t.ServiceID !== service.ID || t.DesiredState !== 'running' || t.Status?.State !== 'running') continue;
        for (const a of onNetwork(t)) for (const addr of a.Addresses ?? []) addresses.add(withoutPrefix(addr));
      }
    }
    out.set(name, [...addresses].sort());
  }
  return out;
}

/** Asks the engine (a manager) for the services' addresses on `network`: two list calls. */
export async function readUpstreamAddresses(
  docker: Docker,
  names: readonly string[],
  network: string,
): Promise<UpstreamAddresses> {
  if (names.length === 0) return new Map();
  try {
    // The name filter matches prefixes: upstreamAddresses() picks the exact names.
    const services = (await docker.listServices({ filters: { name: [...names] } })) as ServiceEndpointInfo[];
    if (services.length === 0) return new Map();
    // Every running task, picked by service here: the Engine matches a service filter of
    // n IDs against every task (bench/upstreams: 100 IDs cost dockerd 3x the whole list).
    const tasks = (await docker.listTasks({ filters: { 'desired-state': ['running'] } })) as TaskAttachmentInfo[];
    return upstreamAddresses(names, services, tasks, network);
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `list the apps' tasks: ${engineMessage(error)}`);
  }
}
