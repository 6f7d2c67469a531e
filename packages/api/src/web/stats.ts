import type { ServerFigures } from '../ports.js';
import { humanBytes } from './backups.js';
import { sparkline, type Sparkline } from './sparkline.js';

// The stats the admin pages show, as view data: the app page's last-hour charts (with the same
// numbers as text, for screen readers and for anyone who wants the figures) and the dashboard's
// server memory and disk.

interface Sample {
  at: string;
  cpuPercent?: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
}

interface TaskStats {
  task: string;
  node: string;
  restarts: number;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  rxBytes?: number;
  txBytes?: number;
  error?: string;
}

export interface Chart extends Sparkline {
  title: string;
  /** What the chart shows, in words: now, highest, the scale's top. */
  summary: string;
}

const percent = (n: number) => `${n.toFixed(1)} %`;

function chart(title: string, values: (number | undefined)[], text: (n: number) => string, ceiling?: number): Chart {
  const known = values.filter((v): v is number => v !== undefined);
  const line = sparkline(values, ceiling !== undefined ? { max: ceiling } : {});
  const last = [...values].reverse().find((v) => v !== undefined);
  const summary =
    known.length === 0
      ? `${title}: no samples yet`
      : `${title}, last hour: now ${text(last!)}, highest ${text(Math.max(...known))}, lowest ${text(Math.min(...known))}` +
        (ceiling !== undefined ? `, limit ${text(ceiling)}` : '');
  return { ...line, title, summary };
}

export function appStatsView(stats: { tasks: TaskStats[]; history: Sample[] }) {
  const limit = stats.history.at(-1)?.memoryLimitBytes;
  return {
    charts: [
      chart(
        'CPU',
        stats.history.map((s) => s.cpuPercent),
        percent,
      ),
      chart(
        'Memory',
        stats.history.map((s) => s.memoryBytes),
        humanBytes,
        limit,
      ),
    ],
    samples: stats.history.length,
    tasks: stats.tasks.map((t) => ({
      task: t.task,
      node: t.node,
      restarts: t.restarts,
      cpu: t.cpuPercent !== undefined ? percent(t.cpuPercent) : '-',
      memory:
        t.memoryBytes !== undefined
          ? `${humanBytes(t.memoryBytes)}${t.memoryLimitBytes ? ` / ${humanBytes(t.memoryLimitBytes)}` : ''}`
          : '-',
      network: t.rxBytes !== undefined ? `${humanBytes(t.rxBytes)} / ${humanBytes(t.txBytes ?? 0)}` : '-',
      error: t.error,
    })),
  };
}

export function serverView(figures: ServerFigures) {
  const byApp = new Map<string, { memory: number; storage?: number }>();
  for (const n of figures.nodes)
    for (const a of n.apps) byApp.set(a.app, { memory: (byApp.get(a.app)?.memory ?? 0) + a.bytes });
  for (const a of figures.disk?.apps ?? [])
    byApp.set(a.app, { memory: byApp.get(a.app)?.memory ?? 0, storage: a.bytes });
  const disk = figures.disk;
  return {
    nodes: figures.nodes.map((n) => {
      const apps = n.apps.reduce((s, a) => s + a.bytes, 0);
      return {
        hostname: n.hostname,
        total: n.totalBytes !== undefined ? humanBytes(n.totalBytes) : '-',
        platform: humanBytes(n.platformBytes),
        apps: humanBytes(apps),
        other: humanBytes(n.otherBytes),
        error: n.error,
      };
    }),
    apps: [...byApp]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([app, v]) => ({
        app,
        memory: humanBytes(v.memory),
        storage: v.storage !== undefined ? humanBytes(v.storage) : '-',
      })),
    disk: disk
      ? {
          path: disk.path,
          used: humanBytes(disk.usedBytes),
          total: humanBytes(disk.totalBytes),
          free: humanBytes(disk.freeBytes),
          platform: humanBytes(disk.platformBytes),
          apps: humanBytes(disk.apps.reduce((s, a) => s + a.bytes, 0)),
          usedPercent: disk.totalBytes > 0 ? Math.round((disk.usedBytes / disk.totalBytes) * 100) : 0,
          measuredAt: disk.measuredAt,
        }
      : undefined,
  };
}
