// Pure reading of swarm task lists: how many tasks run, and why the others do not.

export interface TaskInfo {
  ID: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  DesiredState?: string;
  NodeID?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
  Spec?: { ContainerSpec?: { Image?: string } };
}

const FAILED = new Set(['failed', 'rejected', 'orphaned']);

export function runningCount(tasks: readonly TaskInfo[]): number {
  return tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').length;
}

/** The engine's own reason for a task that is not running, in its words. */
export function taskReason(task: TaskInfo): string | undefined {
  const s = task.Status ?? {};
  if (s.Err) return s.Err;
  if (s.State === 'pending' && s.Message && s.Message !== 'pending task scheduling') return s.Message;
  if (FAILED.has(s.State ?? '')) return s.Message ?? s.State;
  return undefined;
}

const newestFirst = (a: TaskInfo, b: TaskInfo) =>
  (b.UpdatedAt ?? b.CreatedAt ?? '').localeCompare(a.UpdatedAt ?? a.CreatedAt ?? '');

/**
 * A service is failing, not merely slow, when nothing runs and its last few tasks all ended
 * in failure with a reason, or a task waits for a node none can give (`no suitable node`).
 * Only tasks created since `since` (the deploy) count: older failures are history. Tasks not
 * yet finished (a replacement waiting out its restart delay) are not evidence either way.
 */
export function failureReason(tasks: readonly TaskInfo[], attempts = 3, since?: Date): string | undefined {
  if (runningCount(tasks) > 0) return undefined;
  const recentEnough = (t: TaskInfo) => since === undefined || Date.parse(t.CreatedAt ?? '') >= since.getTime() - 1000;
  const sorted = tasks.filter(recentEnough).sort(newestFirst);
  const pending = sorted.find((t) => t.Status?.State === 'pending' && t.Status.Err);
  if (pending?.Status?.Err && /no suitable node/.test(pending.Status.Err)) return pending.Status.Err;
  const failed = sorted.filter((t) => FAILED.has(t.Status?.State ?? '')).slice(0, attempts);
  if (failed.length < attempts) return undefined;
  return taskReason(failed[0]!);
}

/** The most recent reason any task gave, to explain a timeout. */
export function latestReason(tasks: readonly TaskInfo[]): string | undefined {
  for (const t of [...tasks].sort(newestFirst)) {
    const reason = taskReason(t);
    if (reason) return reason;
  }
  return undefined;
}
