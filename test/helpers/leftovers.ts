import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { dockerCli, waitFor } from './engine.js';

// What a tenant's secrets may leave behind, and a way to make a purge fail half way on the
// real swarm: for the unit, API and hostile-tenant tests.

/** Every file under `dir` (recursively, following no links) whose content holds `value`. */
export function filesHolding(dir: string, value: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => readFileSync(file).includes(value))
    .sort();
}

/** Tasks of the service whose container runs, including those told to stop that have not yet. */
async function runningTasks(docker: Docker, service: string): Promise<number> {
  const tasks = (await docker.listTasks({ filters: { service: [service] } })) as { Status?: { State?: string } }[];
  return tasks.filter((task) => task.Status?.State === 'running').length;
}

/**
 * Runs `work` while a platform service (`minicloud_mariadb`, say) has no task, so that what
 * needs it fails as it would in an outage; then scales it back and waits until it runs (with
 * a healthcheck, swarm reports a task running once it is healthy).
 */
export async function whileServiceDown<T>(docker: Docker, service: string, work: () => Promise<T>): Promise<T> {
  const info = (await docker.getService(service).inspect()) as {
    Spec?: { Mode?: { Replicated?: { Replicas?: number } } };
  };
  const replicas = info.Spec?.Mode?.Replicated?.Replicas ?? 1;
  await dockerCli(['service', 'scale', '--detach', `${service}=0`]);
  try {
    await waitFor(`${service} to stop`, async () => ((await runningTasks(docker, service)) === 0 ? true : undefined));
    return await work();
  } finally {
    await dockerCli(['service', 'scale', '--detach', `${service}=${replicas}`]);
    await waitFor(
      `${service} to run again`,
      async () => ((await runningTasks(docker, service)) >= replicas ? true : undefined),
      180_000,
    );
  }
}
