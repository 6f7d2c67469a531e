import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from './client.js';

export interface NodeSummary {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  state: string;
  availability: string;
  address: string;
  leader: boolean;
  labels: Record<string, string>;
}

interface NodeRow {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string };
}

async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `${what}: ${engineMessage(error)}`, [], { cause: error });
  }
}

/** `docker swarm init`; returns the new node's ID. Refused by the engine if already in a swarm. */
export async function initSwarm(docker: Docker, advertiseAddr: string): Promise<string> {
  return engine(
    'swarm init',
    () => docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertiseAddr }) as Promise<string>,
  );
}

/** `docker node ls`, with role, state, availability, address and labels. */
export async function listNodes(docker: Docker): Promise<NodeSummary[]> {
  const rows = (await engine('list nodes', () => docker.listNodes())) as NodeRow[];
  return rows
    .map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      role: n.Spec?.Role === 'manager' ? ('manager' as const) : ('worker' as const),
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec?.Availability ?? 'unknown',
      address: n.Status?.Addr ?? '',
      leader: n.ManagerStatus?.Leader ?? false,
      labels: n.Spec?.Labels ?? {},
    }))
    .sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === 'manager' ? -1 : 1));
}

/**
 * What a new node runs to join: the docker CLI command with the current token and the
 * managers' addresses. Tokens are credentials; the caller decides who may see them.
 */
export async function joinCommand(
  docker: Docker,
  role: 'worker' | 'manager' = 'worker',
): Promise<{ token: string; managers: string[]; command: string }> {
  const swarm = (await engine('inspect swarm', () => docker.swarmInspect())) as {
    JoinTokens?: { Worker?: string; Manager?: string };
  };
  const info = (await engine('engine info', () => docker.info())) as {
    Swarm?: { RemoteManagers?: { Addr?: string }[] };
  };
  const token = (role === 'manager' ? swarm.JoinTokens?.Manager : swarm.JoinTokens?.Worker) ?? '';
  const managers = (info.Swarm?.RemoteManagers ?? [])
    .map((m) => m.Addr ?? '')
    .filter(Boolean)
    .sort();
  return { token, managers, command: `docker swarm join --token ${token} ${managers[0] ?? '<manager-address>:2377'}` };
}

/**
 * Reads the node, changes its spec, writes it at the version read. Two changes at once (two
 * apps' storage labels, purged together) make the later write "out of sequence": it reads the
 * node again and applies its change to what is there now, a few times.
 */
async function updateNode(
  docker: Docker,
  id: string,
  change: (spec: NonNullable<NodeRow['Spec']>) => NonNullable<NodeRow['Spec']>,
): Promise<void> {
  const node = docker.getNode(id);
  for (let attempt = 1; ; attempt++) {
    const row = (await engine(`inspect node ${id}`, () => node.inspect())) as NodeRow;
    const spec = change({ ...(row.Spec ?? {}), Labels: { ...(row.Spec?.Labels ?? {}) } });
    try {
      await engine(`update node ${id}`, () =>
        node.update({ _query: { version: row.Version?.Index ?? 0 }, _body: spec }),
      );
      return;
    } catch (error) {
      if (attempt >= 5 || !/out of sequence/.test((error as Error).message)) throw error;
    }
  }
}

/** Sets (string) or removes (null) node labels, keeping the others. */
export async function setNodeLabels(docker: Docker, id: string, labels: Record<string, string | null>): Promise<void> {
  await updateNode(docker, id, (spec) => {
    const next = { ...spec.Labels };
    for (const [k, v] of Object.entries(labels)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    return { ...spec, Labels: next };
  });
}

/** Drain moves a node's tasks elsewhere (maintenance); active takes tasks again. */
export async function setNodeAvailability(
  docker: Docker,
  id: string,
  availability: 'active' | 'pause' | 'drain',
): Promise<void> {
  await updateNode(docker, id, (spec) => ({ ...spec, Availability: availability }));
}
