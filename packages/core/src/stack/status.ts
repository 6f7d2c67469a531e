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
    services.map(async (s) => {
      const tasks = (await docker.listTasks({ filters: { service: [s.ID] } })) as TaskInfo[];
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
    }),
  );
}
