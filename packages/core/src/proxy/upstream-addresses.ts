import type Docker from 'dockerode';
import { engineMessage } from '../engine/client.js';
import { MinicloudError } from '../errors.js';

// Where the proxy reaches each app service on the proxy network, as the swarm's manager
// sees it: for a dnsrr service the addresses of its running tasks, for a VIP service its
// virtual IP. Swarm reports a task with a healthcheck as running only once the engine's first
// scheduled check has passed (30 s after start with the default interval), but its container
// and its address exist from its start: such a "starting" task counts too once the platform's
// own probe has seen it answer (see proxy/task-probe.ts), so a new app or a new version takes
// traffic within a second of answering. The proxy's upstream blocks are rendered from this
// (see proxy/templates.ts).

export interface ServiceEndpointInfo {
  ID: string;
  Spec?: { Name?: string; EndpointSpec?: { Mode?: string } };
  Endpoint?: { VirtualIPs?: { NetworkID?: string; Addr?: string }[] };
}

export interface TaskAttachmentInfo {
  ID?: string;
  ServiceID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** service name -> its addresses on the network, sorted; services not found are left out. */
export type UpstreamAddresses = Map<string, string[]>;

/** A task the engine has started but not yet called running: the platform probes it. */
export interface StartingTask {
  service: string;
  task: string;
  /** Its address on the network. */
  address: string;
}

const withoutPrefix = (cidr: string) => cidr.split('/')[0]!;
const meantToRun = (t: TaskAttachmentInfo) => t.DesiredState === 'running';
const engineRunning = (t: TaskAttachmentInfo) => meantToRun(t) && t.Status?.State === 'running';
// 'starting' is the one state in which the container runs while swarm waits for it to be
// healthy; before it there is no container to answer, after it the engine's state speaks.
const engineStarting = (t: TaskAttachmentInfo) => meantToRun(t) && t.Status?.State === 'starting';

/** The listing cut down to what one service and one network need. */
function serviceTasks(
  name: string,
  services: readonly ServiceEndpointInfo[],
  tasks: readonly TaskAttachmentInfo[],
  network: string,
) {
  const service = services.find((s) => s.Spec?.Name === name);
  if (!service) return undefined;
  const addressesOf = (t: TaskAttachmentInfo) =>
    (t.NetworksAttachments ?? [])
      .filter((a) => a.Network?.Spec?.Name === network)
      .flatMap((a) => (a.Addresses ?? []).map(withoutPrefix));
  return { service, own: tasks.filter((t) => t.ServiceID === service.ID), addressesOf };
}

/**
 * Pure: the addresses of `names` on the network `network` (its name), from a service and a task
 * listing. A task counts while it is meant to run and either the engine calls it running or it
 * is starting and in `ready` (its ID passed the platform's probe). One the orchestrator is
 * shutting down (desired state no longer running), or that failed, drops out before its
 * container stops. A VIP service is reached through its virtual IP, which swarm balances over
 * its running tasks only, and at the address of each ready starting task, which the VIP does
 * not reach yet; while only such tasks answer, through them alone.
 */
export function upstreamAddresses(
  names: readonly string[],
  services: readonly ServiceEndpointInfo[],
  tasks: readonly TaskAttachmentInfo[],
  network: string,
  ready: ReadonlySet<string> = new Set(),
): UpstreamAddresses {
  const out: UpstreamAddresses = new Map();
  const networkIds = new Set<string>();
  for (const t of tasks)
    for (const a of t.NetworksAttachments ?? [])
      if (a.Network?.Spec?.Name === network && a.Network.ID) networkIds.add(a.Network.ID);
  const probed = (t: TaskAttachmentInfo) => engineStarting(t) && t.ID !== undefined && ready.has(t.ID);

  for (const name of names) {
    const found = serviceTasks(name, services, tasks, network);
    if (!found) continue;
    const { service, own, addressesOf } = found;
    const addresses = new Set<string>();
    if ((service.Spec?.EndpointSpec?.Mode ?? 'vip') === 'vip') {
      const early = own.filter(probed);
      for (const t of early) for (const addr of addressesOf(t)) addresses.add(addr);
      // The VIP reaches no task while none runs: left out only when ready tasks stand in.
      if (early.length === 0 || own.some(engineRunning)) {
        for (const vip of service.Endpoint?.VirtualIPs ?? []) {
          if (vip.Addr && vip.NetworkID && networkIds.has(vip.NetworkID)) addresses.add(withoutPrefix(vip.Addr));
        }
      }
    } else {
      for (const t of own.filter((t) => engineRunning(t) || probed(t)))
        for (const addr of addressesOf(t)) addresses.add(addr);
    }
    out.set(name, [...addresses].sort());
  }
  return out;
}

/** Pure: the tasks of `names` that the engine is starting, with their address on `network`. */
export function startingTasks(
  names: readonly string[],
  services: readonly ServiceEndpointInfo[],
  tasks: readonly TaskAttachmentInfo[],
  network: string,
): StartingTask[] {
  const out: StartingTask[] = [];
  for (const name of names) {
    const found = serviceTasks(name, services, tasks, network);
    for (const t of found?.own.filter(engineStarting) ?? []) {
      const address = found!.addressesOf(t)[0];
      if (t.ID !== undefined && address !== undefined) out.push({ service: name, task: t.ID, address });
    }
  }
  return out;
}

export interface UpstreamListing {
  services: ServiceEndpointInfo[];
  tasks: TaskAttachmentInfo[];
}

/** Asks the engine (a manager) for the services and their tasks meant to run: two list calls. */
export async function readUpstreamListing(docker: Docker, names: readonly string[]): Promise<UpstreamListing> {
  if (names.length === 0) return { services: [], tasks: [] };
  try {
    // The name filter matches prefixes: the pure functions above pick the exact names.
    const services = (await docker.listServices({ filters: { name: [...names] } })) as ServiceEndpointInfo[];
    if (services.length === 0) return { services, tasks: [] };
    // Every running task, picked by service here: the Engine matches a service filter of
    // n IDs against every task (bench/upstreams: 100 IDs cost dockerd 3x the whole list).
    const tasks = (await docker.listTasks({ filters: { 'desired-state': ['running'] } })) as TaskAttachmentInfo[];
    return { services, tasks };
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `list the apps' tasks: ${engineMessage(error)}`);
  }
}

/** The services' addresses on `network` as the engine alone sees them (no probing). */
export async function readUpstreamAddresses(
  docker: Docker,
  names: readonly string[],
  network: string,
): Promise<UpstreamAddresses> {
  const { services, tasks } = await readUpstreamListing(docker, names);
  return upstreamAddresses(names, services, tasks, network);
}
