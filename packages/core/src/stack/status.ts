import type Docker from 'dockerode';
import { dockerClient } from '../engine/client.js';
import { runningCount, taskReason, type TaskInfo } from './task-status.js';
import { STACK_NAMESPACE_LABEL } from './types.js';

export interface TaskStatus {
  id: string;
  node: string;
  desiredState: string;
  state: string;
  image: string;
  error?: string;
  updatedAt: string;
}

export interface ServiceStatus {
  name: string;
  id: string;
  desired: number;
  running: number;
  image: string;
  updateState?: string;
  tasks: TaskStatus[];
}

interface ServiceRow {
  ID: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
  };
  UpdateStatus?: { State?: string };
}

export async function listStackServices(docker: Docker, stack: string): Promise<ServiceRow[]> {
  const rows = (await docker.listServices({
    filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] },
  })) as ServiceRow[];
  return rows.sort((a, b) => (a.Spec?.Name ?? '').localeCompare(b.Spec?.Name ?? ''));
}

/** `docker stack ps` and `services` in one: every service of a stack with its tasks. Empty when no such stack. */
export async function stackStatus(stack: string, docker: Docker = dockerClient()): Promise<ServiceStatus[]> {
  const services = await listStackServices(docker, stack);
  return Promise.all(
    services.map(async (s) =>
      serviceStatus(s, (await docker.listTasks({ filters: { service: [s.ID] } })) as TaskInfo[]),
    ),
  );
}

/**
 * The services of every stack with their tasks, by stack name, in two engine calls however
 * many stacks there are: what a listing of all apps needs (one call per service made a listing
 * of 100 apps cost 100 to 200 calls, and fifty readers that many times over).
 */
export async function stacksStatus(docker: Docker = dockerClient()): Promise<Map<string, ServiceStatus[]>> {
  const everyStack = { filters: { label: [STACK_NAMESPACE_LABEL] } };
  const [services, tasks] = await Promise.all([
    docker.listServices(everyStack) as Promise<ServiceRow[]>,
    docker.listTasks(everyStack) as Promise<(TaskInfo & { ServiceID?: string })[]>,
  ]);
  const tasksOf = new Map<string, TaskInfo[]>();
  for (const task of tasks) {
    const id = task.ServiceID ?? '';
    tasksOf.set(id, [...(tasksOf.get(id) ?? []), task]);
  }
  const byStack = new Map<string, ServiceStatus[]>();
  for (const s of services.sort((a, b) => (a.Spec?.Name ?? '').localeCompare(b.Spec?.Name ?? ''))) {
    const stack = s.Spec?.Labels?.[STACK_NAMESPACE_LABEL];
    if (stack === undefined) continue;
    byStack.set(stack, [...(byStack.get(stack) ?? []), serviceStatus(s, tasksOf.get(s.ID) ?? [])]);
  }
  return byStack;
}

/** A service's status from its spec and its tasks (every task of it, past ones too). */
function serviceStatus(s: ServiceRow, tasks: TaskInfo[]): ServiceStatus {
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const global = s.Spec?.Mode?.Global !== undefined;
  return {
    name: s.Spec?.Name ?? s.ID,
    id: s.ID,
    desired: global ? live.length : (s.Spec?.Mode?.Replicated?.Replicas ?? 1),
    running: runningCount(tasks),
    image: s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? '',
    ...(s.UpdateStatus?.State ? { updateState: s.UpdateStatus.State } : {}),
    tasks: tasks
      .map((t) => {
        const error = taskReason(t);
        return {
          id: t.ID,
          node: t.NodeID ?? '',
          desiredState: t.DesiredState ?? '',
          state: t.Status?.State ?? '',
          image: t.Spec?.ContainerSpec?.Image ?? '',
          ...(error ? { error } : {}),
          updatedAt: t.UpdatedAt ?? '',
        };
      })
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)),
  };
}
