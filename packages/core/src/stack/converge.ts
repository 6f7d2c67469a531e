import type Docker from 'dockerode';
import { failureReason, latestReason, runningCount, type TaskInfo } from './task-status.js';

export type ServiceState = 'converged' | 'failed' | 'rolled-back' | 'timeout';

export interface ServiceReport {
  name: string;
  desired: number;
  running: number;
  state: ServiceState;
  /** The engine's reason, when not converged: no such image, no suitable node, exit code, health. */
  reason?: string;
}

export interface ConvergeOptions {
  timeoutMs?: number;
  pollMs?: number;
}

/** A service to wait for; `updatedAt` when its tasks were just asked to change. */
export interface Awaited {
  name: string;
  updatedAt?: Date;
  /** Left as it was by this deploy: an old update's outcome is history, not this deploy's result. */
  unchanged?: boolean;
}

interface ServiceInfo {
  Spec?: { Mode?: { Replicated?: { Replicas?: number }; Global?: object } };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

/** The engine may not have begun a requested update when we first look; give it this long. */
const UPDATE_START_GRACE_MS = 10_000;

/**
 * Whether an update we asked for has visibly started: its UpdateStatus is newer than the
 * request, or tasks were created since. Until then an old "completed" status proves nothing.
 */
function updateSeen(info: ServiceInfo, tasks: TaskInfo[], since: Date): boolean {
  const started = info.UpdateStatus?.StartedAt ? Date.parse(info.UpdateStatus.StartedAt) : 0;
  const fresh = tasks.some((t) => Date.parse(t.CreatedAt ?? '') >= since.getTime() - 1000);
  return started >= since.getTime() - 1000 || fresh;
}

/** One look at one service: its report, and whether that report is final. */
async function look(docker: Docker, target: Awaited): Promise<{ report: ServiceReport; done: boolean }> {
  const { name } = target;
  const info = (await docker.getService(name).inspect()) as ServiceInfo;
  const tasks = (await docker.listTasks({ filters: { service: [name] } })) as TaskInfo[];
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const global = info.Spec?.Mode?.Global !== undefined;
  const desired = global ? live.length : (info.Spec?.Mode?.Replicated?.Replicas ?? 1);
  const running = runningCount(tasks);
  const update = target.unchanged ? undefined : info.UpdateStatus?.State;
  const report: ServiceReport = { name, desired, running, state: 'converged' };
  const stale = target.updatedAt !== undefined && !updateSeen(info, tasks, target.updatedAt);
  if (update === 'rollback_completed' && !stale) {
    return {
      report: { ...report, state: 'rolled-back', reason: info.UpdateStatus?.Message ?? 'update rolled back' },
      done: true,
    };
  }
  if ((update === 'paused' || update === 'rollback_paused') && !stale) {
    return {
      report: { ...report, state: 'failed', reason: info.UpdateStatus?.Message ?? `update ${update}` },
      done: true,
    };
  }
  const since = target.updatedAt;
  const notYetStarted =
    since !== undefined && !updateSeen(info, tasks, since) && Date.now() - since.getTime() < UPDATE_START_GRACE_MS;
  const updating = update === 'updating' || update === 'rollback_started' || notYetStarted;
  if (!updating && running >= desired && (desired > 0 || live.length === 0)) return { report, done: true };
  const failure = updating ? undefined : failureReason(tasks);
  if (failure) return { report: { ...report, state: 'failed', reason: failure }, done: true };
  const reason = latestReason(tasks);
  return { report: { ...report, state: 'timeout', ...(reason ? { reason } : {}) }, done: false };
}

/**
 * Waits until every service runs its desired replicas, fails for a reason the engine gives,
 * rolls back, or the timeout passes; never hangs. Reports each service either way.
 */
export async function waitForServices(
  docker: Docker,
  targets: Awaited[],
  options: ConvergeOptions = {},
): Promise<ServiceReport[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const poll = options.pollMs ?? 500;
  const names = targets.map((t) => t.name);
  const final = new Map<string, ServiceReport>();
  let latest: ServiceReport[] = [];
  for (;;) {
    const pending = targets.filter((t) => !final.has(t.name));
    const looks = await Promise.all(pending.map((t) => look(docker, t)));
    looks.forEach((l) => l.done && final.set(l.report.name, l.report));
    latest = looks.filter((l) => !l.done).map((l) => l.report);
    if (latest.length === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, poll));
  }
  return names.map((n) => final.get(n) ?? latest.find((r) => r.name === n)!);
}
