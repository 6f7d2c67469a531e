import type { Command } from 'commander';
import type { TaskStats } from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson, table } from '../table.js';
import { client } from './app.js';
import { formatBytes } from './registry.js';

// `minicloud app stats NAME`: each running task's CPU, memory against its limit, network and
// restarts, as the API reads them from each node's engine (a deploy token may ask for its app).

const enc = encodeURIComponent;

/** One row of the table: `-` where a figure is unknown, the reason where the task could not be read. */
export function statsRow(t: TaskStats): string[] {
  const memory =
    t.memoryBytes === undefined
      ? '-'
      : `${formatBytes(t.memoryBytes)} / ${t.memoryLimitBytes ? formatBytes(t.memoryLimitBytes) : '-'}`;
  const net = t.rxBytes === undefined ? '-' : `${formatBytes(t.rxBytes)} / ${formatBytes(t.txBytes ?? 0)}`;
  const cpu = t.cpuPercent === undefined ? '-' : `${t.cpuPercent.toFixed(1)}%`;
  return [t.task, t.node, t.error ? `error: ${t.error}` : cpu, memory, net, String(t.restarts)];
}

export function registerAppStats(app: Command, io: Io): void {
  app
    .command('stats')
    .description("each running task's CPU, memory (against its limit), network and restarts, from the Engine")
    .argument('<name>', 'app name')
    .option('--runner <runner>', 'only this service: web or a runner of the app')
    .option('--json', 'machine-readable output (the tasks and the last hour, one sample a minute)')
    .action(async (name: string, flags: { runner?: string; json?: boolean }, cmd: Command) => {
      const query = flags.runner !== undefined ? `?runner=${enc(flags.runner)}` : '';
      const stats = await (await client(cmd)).get<{ tasks: TaskStats[] }>(`/v1/apps/${enc(name)}/stats${query}`);
      if (flags.json) return printJson(io, stats);
      if (stats.tasks.length === 0) return io.out(`${name} runs no task now`);
      table(io, ['TASK', 'NODE', 'CPU', 'MEMORY / LIMIT', 'NET IN / OUT', 'RESTARTS'], stats.tasks.map(statsRow));
    });
}
