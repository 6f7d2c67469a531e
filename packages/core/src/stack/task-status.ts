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
 * A service is failing, not merely slow, when nothing runs and its newest tasks keep failing
 * for a reason, or a task waits for a node none can give (`no suitable node`).
 */
export function failureReason(tasks: readonly TaskInfo[], attempts = 3): string | undefined {
  if (runningCount(tasks) > 0) return undefined;
  const sorted = [...tasks].sort(newestFirst);
  const pending = sorted.find((t) => t.Status?.State === 'pending' && t.Status.Err);
  if (pending?.Status?.Err && /no suitable node/.test(pending.Status.Err)) return pending.Status.Err;
  const recent = sorted.slice(0, attempts);
  if (recent.length < attempts) return undefined;
  const reasons = recent.map(taskReason);
  if (
    reasons.every((r) => r !== undefined) &&
    recent.every((t) => FAILED.has(t.Status?.State ?? '') || t.DesiredState === 'shutdown')
  ) {
    return reasons[0];
  }
  return undefined;
}

/** The most recent reason any task gave, to explain a timeout. */
export function latestReason(tasks: readonly TaskInfo[]): string | undefined {
  for (const t of [...tasks].sort(newestFirst)) {
    const reason = taskReason(t);
    if (reason) return reason;
  }
  return undefined;
}
