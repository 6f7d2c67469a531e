import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { waitForServices, type ServiceReport } from '../stack/converge.js';
import { listStackServices } from '../stack/status.js';
import type { Progress } from './types.js';

// `app restart`: new tasks for the same spec, as `docker service update --force` does, by
// raising the task template's ForceUpdate counter. The rolling order is the service's own
// update_config (start-first for every app service, see compiler/deploy-policy.ts), so each new
// task runs and is routed before the old one stops. The spec hash label is left alone: the next
// deploy of an unchanged app still sees nothing to do (ForceUpdate is engine-filled there).

interface ServiceSpecRow {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; TaskTemplate?: { ForceUpdate?: number } } & Record<string, unknown>;
}

export interface RestartOptions {
  /** Only this service: `web` or a runner's name. */
  runner?: string;
  timeoutMs?: number;
  progress?: Progress;
}

/** Restarts every service of the app (or one), waiting until the new tasks run; reports each. */
export async function restartAppServices(
  docker: Docker,
  app: string,
  options: RestartOptions = {},
): Promise<ServiceReport[]> {
  const rows = (await listStackServices(docker, app)) as ServiceSpecRow[];
  const short = (r: ServiceSpecRow) => (r.Spec?.Name ?? r.ID).slice(app.length + 1);
  const chosen = options.runner === undefined ? rows : rows.filter((r) => short(r) === options.runner);
  if (chosen.length === 0) {
    throw new MinicloudError(
      options.runner === undefined ? 'MC_STACK_NOT_FOUND' : 'MC_RUNNER_NOT_FOUND',
      options.runner === undefined ? `app ${app} runs no services` : `app ${app} has no runner ${options.runner}`,
      options.runner === undefined
        ? []
        : [{ path: 'runner', message: `must be one of ${rows.map(short).join(', ') || '(none running)'}` }],
    );
  }
  const since = new Date();
  for (const row of chosen) {
    options.progress?.(`restarting ${short(row)}`);
    // Read again right before the update: the version index must be the current one.
    const current = (await docker.getService(row.ID).inspect()) as ServiceSpecRow;
    const spec = current.Spec ?? {};
    const template = spec.TaskTemplate ?? {};
    await docker
      .getService(row.ID)
      .update({
        version: current.Version?.Index,
        ...spec,
        TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 },
      })
      .catch((error: unknown) => {
        throw new MinicloudError('MC_ENGINE', `restart ${spec.Name ?? row.ID}: ${engineMessage(error)}`, [], {
          cause: error,
        });
      });
  }
  options.progress?.('waiting for the new tasks');
  return waitForServices(
    docker,
    chosen.map((r) => ({ name: r.Spec?.Name ?? r.ID, updatedAt: since })),
    { since, timeoutMs: options.timeoutMs ?? 180_000 },
  );
}
