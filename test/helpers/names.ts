import type Docker from 'dockerode';
import { execIn } from './engine.js';

// Which names answer on the swarm's networks, seen from inside a container: what an app (or the
// platform's API) reaches when it looks a name up. For the tests that an app answers for no
// other app and for no platform service on the shared networks (issue 11).

/**
 * The IPv4 addresses `name` resolves to inside a running container, through its own resolver
 * (Docker's DNS, asked on every network the container is on), sorted; [] when it does not
 * resolve. Needs `getent` in the image (glibc: every Debian-based image the tests use).
 */
export async function resolveIn(docker: Docker, containerId: string, name: string): Promise<string[]> {
  const answer = await execIn(docker, containerId, ['getent', 'ahostsv4', name]);
  if (answer.code === 2) return [];
  if (answer.code !== 0) throw new Error(`getent ahostsv4 ${name}: exit ${answer.code} ${answer.stderr}`);
  const addresses = answer.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '');
  return [...new Set(addresses.filter((a) => a !== ''))].sort();
}

/**
 * Every address a service can be reached at, on all its networks: its virtual IPs and its
 * running tasks' addresses (what `<name>` and `tasks.<name>` resolve to), sorted.
 */
export async function serviceAddresses(docker: Docker, service: string): Promise<string[]> {
  const info = (await docker.getService(service).inspect()) as {
    ID: string;
    Endpoint?: { VirtualIPs?: { Addr?: string }[] };
  };
  const tasks = (await docker.listTasks({ filters: { service: [info.ID], 'desired-state': ['running'] } })) as {
    NetworksAttachments?: { Addresses?: string[] }[];
  }[];
  const cidrs = [
    ...(info.Endpoint?.VirtualIPs ?? []).map((v) => v.Addr ?? ''),
    ...tasks.flatMap((t) => (t.NetworksAttachments ?? []).flatMap((a) => a.Addresses ?? [])),
  ];
  return [...new Set(cidrs.filter((c) => c !== '').map((c) => c.split('/')[0]!))].sort();
}

/** The aliases a service's tasks take on each network it joins, by network name. */
export async function serviceAliases(docker: Docker, service: string): Promise<Record<string, string[]>> {
  const info = (await docker.getService(service).inspect()) as {
    Spec?: { TaskTemplate?: { Networks?: { Target?: string; Aliases?: string[] }[] } };
  };
  const names = new Map((await docker.listNetworks()).map((n) => [n.Id, n.Name]));
  const out: Record<string, string[]> = {};
  for (const n of info.Spec?.TaskTemplate?.Networks ?? []) {
    const target = n.Target ?? '';
    out[names.get(target) ?? target] = [...(n.Aliases ?? [])].sort();
  }
  return out;
}
