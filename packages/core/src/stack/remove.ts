import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { LABELS } from '../labels.js';
import { dockerClient, engineMessage, engineStatus } from '../engine/client.js';
import { STACK_NAMESPACE_LABEL } from './types.js';
import { listStackServices } from './status.js';

/**
 * Networks, secrets and configs are refused removal while a stopping task still uses them,
 * which lasts a few seconds after its service is gone: retry until the deadline.
 */
async function removeWhenFree(what: string, remove: () => Promise<unknown>, deadline: number): Promise<void> {
  for (;;) {
    try {
      await remove();
      return;
    } catch (error) {
      if (engineStatus(error) === 404) return;
      if (Date.now() > deadline) throw new MinicloudError('MC_ENGINE', `remove ${what}: ${engineMessage(error)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * `docker stack rm`, limited to what minicloud created (the managed label): services first,
 * then the stack's networks, secrets and configs. Volumes stay: they hold data.
 * Returns the names removed; throws MC_STACK_NOT_FOUND when the stack has nothing of ours.
 */
export async function removeStack(
  stack: string,
  docker: Docker = dockerClient(),
  timeoutMs = 60_000,
): Promise<string[]> {
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
  const deadline = Date.now() + timeoutMs;
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
  return removed;
}
