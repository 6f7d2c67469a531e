import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { LABELS } from '../labels.js';
import { dockerClient, engineMessage, engineStatus } from '../engine/client.js';
import { STACK_NAMESPACE_LABEL } from './types.js';
import { listStackServices } from './status.js';

export interface RemoveStackOptions {
  /** How long removal (and the wait for it) may take, in all. */
  timeoutMs?: number;
  /**
   * Return once the engine has accepted every removal, without waiting until the stack is
   * gone (`--detach`): a deploy of the same name right after may then meet its leftovers.
   */
  detach?: boolean;
  /** One line per thing waited for, for people. */
  progress?: (line: string) => void;
}

const POLL_MS = 250;
/** Task states after which a task holds no container and no network attachment. */
const TASK_ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Networks, secrets and configs are refused removal while a stopping task still uses them,
 * which lasts a few seconds after its service is gone: retry until the deadline.
 */
export async function removeWhenFree(what: string, remove: () => Promise<unknown>, deadline: number): Promise<void> {
  for (;;) {
    try {
      await remove();
      return;
    } catch (error) {
      if (engineStatus(error) === 404) return;
      if (Date.now() > deadline) throw new MinicloudError('MC_ENGINE', `remove ${what}: ${engineMessage(error)}`);
      await sleep(500);
    }
  }
}

/**
 * What of the stack the engine still shows: services, tasks, networks, secrets, configs.
 * Swarm deletes an overlay network only once the last task on it is gone (before that the
 * removal is accepted and the network stays listed, but no new service can use it), so a
 * stack counts as gone when none of these is left.
 */
export async function stackLeftovers(docker: Docker, stack: string): Promise<string[]> {
  const ours = { filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`, `${LABELS.managed}=true`] } };
  const [services, tasks, networks, secrets, configs] = await Promise.all([
    docker.listServices(ours),
    // Tasks carry their stack's namespace label (as `docker stack ps` finds them), not ours.
    docker.listTasks({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] } }),
    docker.listNetworks(ours),
    docker.listSecrets(ours),
    docker.listConfigs(ours),
  ]);
  const live = tasks.filter((t) => !TASK_ENDED.has(String(t.Status?.State)));
  return [
    ...services.map((s) => `service ${s.Spec?.Name ?? s.ID}`),
    ...(live.length > 0 ? [`${live.length} task${live.length === 1 ? '' : 's'}`] : []),
    ...networks.map((n) => `network ${n.Name}`),
    ...secrets.map((s) => `secret ${s.Spec?.Name ?? s.ID}`),
    ...configs.map((c) => `config ${c.Spec?.Name ?? c.ID}`),
  ];
}

/** Polls until nothing of the stack is left; MC_ENGINE naming what is left at the deadline. */
export async function waitStackGone(
  docker: Docker,
  stack: string,
  deadline: number,
  progress: (line: string) => void = () => undefined,
): Promise<void> {
  let said = '';
  for (;;) {
    const left = await stackLeftovers(docker, stack);
    if (left.length === 0) return;
    const line = `waiting for ${left.join(', ')} to go`;
    if (line !== said) progress(line);
    said = line;
    if (Date.now() > deadline)
      throw new MinicloudError('MC_ENGINE', `stack ${stack} is not gone yet: ${left.join(', ')} remain`);
    await sleep(POLL_MS);
  }
}

/**
 * `docker stack rm`, limited to what minicloud created (the managed label): services first,
 * then the stack's networks, secrets and configs. Volumes stay: they hold data. Unlike the
 * docker CLI it then waits until the engine shows nothing of the stack, so that a deploy of
 * the same name right after finds a clean slate (unless `detach`).
 * Returns the names removed; throws MC_STACK_NOT_FOUND when the stack has nothing of ours.
 */
export async function removeStack(
  stack: string,
  docker: Docker = dockerClient(),
  options: RemoveStackOptions = {},
): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const filter = { filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`, `${LABELS.managed}=true`] } };
  const services = (await listStackServices(docker, stack)).filter((s) => s.Spec?.Labels?.[LABELS.managed] === 'true');
  const [networks, secrets, configs] = await Promise.all([
    docker.listNetworks(filter),
    docker.listSecrets(filter),
    docker.listConfigs(filter),
  ]);
  if (services.length + networks.length + secrets.length + configs.length === 0) {
    throw new MinicloudError('MC_STACK_NOT_FOUND', `no stack named ${stack} managed by minicloud`);
  }
  const removed: string[] = [];
  for (const s of services) {
    await docker.getService(s.ID).remove();
    removed.push(s.Spec?.Name ?? s.ID);
  }
  const rest: [string, () => Promise<unknown>][] = [
    ...networks.map((n) => [n.Name, () => docker.getNetwork(n.Id).remove()] as [string, () => Promise<unknown>]),
    ...secrets.map(
      (o) => [o.Spec?.Name ?? o.ID, () => docker.getSecret(o.ID).remove()] as [string, () => Promise<unknown>],
    ),
    ...configs.map(
      (o) => [o.Spec?.Name ?? o.ID, () => docker.getConfig(o.ID).remove()] as [string, () => Promise<unknown>],
    ),
  ];
  for (const [name, remove] of rest) {
    await removeWhenFree(name, remove, deadline);
    removed.push(name);
  }
  if (!options.detach) await waitStackGone(docker, stack, deadline, options.progress);
  return removed;
}
