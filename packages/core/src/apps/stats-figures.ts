// One container's figures from the Engine's stats JSON (`GET /containers/{id}/stats`), the way
// `docker stats` computes them: pure, so each cgroup version's shape is tested on recorded answers.

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** The part of the Engine's stats answer read here (Linux containers, cgroup v1 or v2). */
export interface DockerStats {
  read?: string;
  cpu_stats?: CpuStats;
  /** The sample before: filled by a streamed or plain read, empty with `one-shot=true`. */
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number | undefined> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

export interface TaskFigures {
  /** 100 is one CPU core busy all the time; absent without two samples to compare. */
  cpuPercent?: number;
  /** Memory in use without the page cache the kernel can drop (what `docker stats` shows). */
  memoryBytes?: number;
  /** The container's limit (the node's memory when it has none). */
  memoryLimitBytes?: number;
  /** Received and sent since the container started, summed over its interfaces. */
  rxBytes?: number;
  txBytes?: number;
}

/**
 * CPU used between two samples, as a share of one core: the container's CPU time over the
 * host's, times the CPUs the host has. Absent when there is no earlier sample or the counters
 * went backwards (the container restarted in between).
 */
export function cpuPercent(now: CpuStats | undefined, before: CpuStats | undefined): number | undefined {
  const used = now?.cpu_usage?.total_usage;
  const usedBefore = before?.cpu_usage?.total_usage;
  const system = now?.system_cpu_usage;
  const systemBefore = before?.system_cpu_usage;
  if (used === undefined || usedBefore === undefined || !system || !systemBefore) return undefined;
  const cpuDelta = used - usedBefore;
  const systemDelta = system - systemBefore;
  if (systemDelta <= 0 || cpuDelta < 0) return undefined;
  const cpus = now?.online_cpus || now?.cpu_usage?.percpu_usage?.length || 1;
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

/**
 * Usage less the inactive page cache: cgroup v1 reports `total_inactive_file`, v2
 * `inactive_file`; old v1 engines only `cache`. Never below zero.
 */
export function memoryInUse(memory: DockerStats['memory_stats']): number | undefined {
  const usage = memory?.usage;
  if (usage === undefined) return undefined;
  const s = memory?.stats ?? {};
  const cache = s['total_inactive_file'] ?? s['inactive_file'] ?? s['cache'] ?? 0;
  return cache < usage ? usage - cache : usage;
}

/** One sample's figures; `previous` (an earlier read of the same container) gives the CPU delta. */
export function taskFigures(raw: DockerStats, previous?: DockerStats): TaskFigures {
  const out: TaskFigures = {};
  const cpu = cpuPercent(raw.cpu_stats, previous ? previous.cpu_stats : raw.precpu_stats);
  if (cpu !== undefined) out.cpuPercent = cpu;
  const memory = memoryInUse(raw.memory_stats);
  if (memory !== undefined) out.memoryBytes = memory;
  if (raw.memory_stats?.limit) out.memoryLimitBytes = raw.memory_stats.limit;
  if (raw.networks) {
    const nets = Object.values(raw.networks);
    out.rxBytes = nets.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0);
    out.txBytes = nets.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0);
  }
  return out;
}

interface SlotTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: { State?: string };
}

const ENDED = new Set(['failed', 'shutdown', 'rejected']);

/**
 * How often each task's slot was started again: the earlier tasks of the same slot (a
 * replicated service's number, a global service's node) that ended and that the swarm still
 * keeps in its history (five per slot by default). Keyed by task id.
 */
export function restartCounts(tasks: readonly SlotTask[]): Map<string, number> {
  const slot = (t: SlotTask) => `${t.ServiceID ?? ''}/${t.Slot ?? t.NodeID ?? t.ID}`;
  const out = new Map<string, number>();
  const time = (t: SlotTask) => Date.parse(t.CreatedAt ?? '') || 0;
  for (const t of tasks) {
    const earlier = tasks.filter(
      (o) => o.ID !== t.ID && slot(o) === slot(t) && ENDED.has(o.Status?.State ?? '') && time(o) < time(t),
    );
    out.set(t.ID, earlier.length);
  }
  return out;
}
