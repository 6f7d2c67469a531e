import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import type { NodeEngines } from '../nodes/engines.js';
import { appServices, type AppService } from './app-services.js';
import { restartCounts, taskFigures, type DockerStats, type TaskFigures } from './stats-figures.js';

// An app's tasks as they run now: CPU, memory against its limit, network and restarts, read
// from the engine of the node each task runs on (the swarm does not relay container stats).

export interface TaskStats extends TaskFigures {
  /** `web` or a runner. */
  service: string;
  /** `web.1`, as the logs name it. */
  task: string;
  /** The node's hostname. */
  node: string;
  restarts: number;
  /** Why this task has no figures (its node unreachable, its container just gone). */
  error?: string;
}

export interface AppStatsOptions {
  /** Only this service: `web` or a runner's name. */
  runner?: string;
  /** Earlier reads by container id (the sampler's last minute): CPU over that span, no wait. */
  previous?: ReadonlyMap<string, DockerStats>;
  /** Without an earlier read: read again this much later for the CPU figure (0: none). Default 1000. */
  windowMs?: number;
}

export interface AppStatsRead {
  tasks: TaskStats[];
  /** The last read of each container, for the next call's `previous`. */
  samples: Map<string, DockerStats>;
}

interface TaskRow {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

interface Running {
  service: AppService;
  task: TaskRow;
  name: string;
  restarts: number;
}

const READ = { stream: false, 'one-shot': true } as const;

async function readOnce(engines: NodeEngines, nodeId: string, containerId: string): Promise<DockerStats> {
  const engine = await engines.engine(nodeId);
  return (await engine.getContainer(containerId).stats(READ)) as DockerStats;
}

async function runningTasks(docker: Docker, services: AppService[]): Promise<Running[]> {
  const out: Running[] = [];
  for (const service of services) {
    const tasks = (await docker.listTasks({ filters: { service: [service.id] } })) as TaskRow[];
    const restarts = restartCounts(tasks);
    for (const task of tasks) {
      if (task.DesiredState !== 'running' || task.Status?.State !== 'running') continue;
      const name = `${service.short}.${task.Slot ?? task.ID.slice(0, 12)}`;
      out.push({ service, task, name, restarts: restarts.get(task.ID) ?? 0 });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** Every running task of the app (or of one runner) with its figures; one failing task does not fail the rest. */
export async function readAppStats(
  docker: Docker,
  engines: NodeEngines,
  app: string,
  options: AppStatsOptions = {},
): Promise<AppStatsRead> {
  const services = await appServices(docker, app, options.runner).catch((error: unknown) => {
    if (error instanceof MinicloudError) throw error;
    throw new MinicloudError('MC_ENGINE', `read the stats of ${app}: ${engineMessage(error)}`, [], { cause: error });
  });
  const running = await runningTasks(docker, services);
  const nodes = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  const hostname = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  const samples = new Map<string, DockerStats>();

  const read = async (r: Running): Promise<{ first?: DockerStats; error?: string }> => {
    const containerId = r.task.Status?.ContainerStatus?.ContainerID;
    if (!containerId || !r.task.NodeID) return { error: 'no container yet' };
    return readOnce(engines, r.task.NodeID, containerId).then(
      (first) => ({ first }),
      (error: unknown) => ({ error: engineMessage(error) }),
    );
  };
  const firsts = await Promise.all(running.map(read));

  // CPU needs two samples: an earlier read given by the caller, the Engine's own (a plain
  // read), or a second read after a short wait, made for all tasks at once.
  const windowMs = options.windowMs ?? 1000;
  const containerOf = (r: Running) => r.task.Status?.ContainerStatus?.ContainerID ?? '';
  const needSecond = running.map(
    (r, i) =>
      windowMs > 0 &&
      firsts[i]!.first !== undefined &&
      !options.previous?.has(containerOf(r)) &&
      !firsts[i]!.first!.precpu_stats?.system_cpu_usage,
  );
  let seconds: (DockerStats | undefined)[] = [];
  if (needSecond.some(Boolean)) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    seconds = await Promise.all(
      running.map((r, i) =>
        needSecond[i] ? readOnce(engines, r.task.NodeID!, containerOf(r)).catch(() => undefined) : undefined,
      ),
    );
  }

  const tasks = running.map((r, i): TaskStats => {
    const base = {
      service: r.service.short,
      task: r.name,
      node: hostname.get(r.task.NodeID ?? '') ?? r.task.NodeID ?? '',
      restarts: r.restarts,
    };
    const { first, error } = firsts[i]!;
    if (!first) return { ...base, error: error ?? 'no stats' };
    const second = seconds[i];
    const latest = second ?? first;
    samples.set(containerOf(r), latest);
    const figures = taskFigures(latest, second ? first : options.previous?.get(containerOf(r)));
    // The app's own limit, rather than the node's memory a container without one reports.
    if (r.service.memoryLimitBytes) figures.memoryLimitBytes = r.service.memoryLimitBytes;
    return { ...base, ...figures };
  });
  return { tasks, samples };
}

/** The app's running tasks now, with their figures (CPU over about a second). */
export async function appStats(
  docker: Docker,
  engines: NodeEngines,
  app: string,
  options: AppStatsOptions = {},
): Promise<TaskStats[]> {
  return (await readAppStats(docker, engines, app, options)).tasks;
}
