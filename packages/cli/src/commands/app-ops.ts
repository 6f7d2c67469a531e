import type { Command } from 'commander';
import type { AppLogLine, AppStatus } from '@minicloud/core';
import type { Io } from '../output.js';
import { integer } from '../options.js';
import { printable } from '../printable.js';
import { printJson } from '../table.js';
import { client, envPairs, patchApp, runJob } from './app.js';

// `minicloud app logs | restart | scale`: operating an app that runs. Each is one API call
// (a deploy token may do it for its own app), so the CLI and the admin pages agree.

const enc = encodeURIComponent;

/**
 * `web.1@mc-w1 2026-11-26T16:34:06.473958052Z the line`, as `docker service logs` prints; the
 * app's own text with its control characters made visible (./printable.ts).
 */
export function formatLogLine(l: AppLogLine): string {
  return printable(`${l.task}@${l.node} ${l.time} ${l.line}`);
}

function logsQuery(flags: { tail?: number; since?: string; runner?: string; follow?: boolean }): string {
  const q = new URLSearchParams();
  if (flags.tail !== undefined) q.set('tail', String(flags.tail));
  if (flags.since !== undefined) q.set('since', flags.since);
  if (flags.runner !== undefined) q.set('runner', flags.runner);
  if (flags.follow) q.set('follow', 'true');
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

export function registerAppOps(app: Command, io: Io): void {
  app
    .command('logs')
    .description("an app's logs, merged from every task on every node, with task and node")
    .argument('<name>', 'app name')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('-n, --tail <n>', 'the last N lines (default 200)', integer)
    .option('--since <when>', 'only lines since then: 90s, 10m, 2h, 3d, or an RFC 3339 time')
    .option('--runner <runner>', 'only this service: web or a runner of the app')
    .option('--json', 'one JSON object per line')
    .action(
      async (
        name: string,
        flags: { follow?: boolean; tail?: number; since?: string; runner?: string; json?: boolean },
        cmd: Command,
      ) => {
        const api = await client(cmd);
        const print = (l: AppLogLine) => io.out(flags.json ? JSON.stringify(l) : formatLogLine(l));
        const path = `/v1/apps/${enc(name)}/logs${logsQuery(flags)}`;
        if (!flags.follow) {
          const { lines } = await api.get<{ lines: AppLogLine[] }>(path);
          for (const l of lines) print(l);
          return;
        }
        // Until Ctrl-C (or the app goes away and the server ends the stream).
        const stop = new AbortController();
        const interrupt = () => stop.abort();
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt);
        try {
          await api.stream<AppLogLine>(path, print, stop.signal);
        } finally {
          process.off('SIGINT', interrupt);
          process.off('SIGTERM', interrupt);
        }
      },
    );

  app
    .command('restart')
    .description('new tasks for every service (or one), rolling and start-first: no request is dropped')
    .argument('<name>', 'app name')
    .option('--runner <runner>', 'only this service: web or a runner of the app')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { runner?: string; wait: boolean; json?: boolean }, cmd: Command) => {
      const body = flags.runner !== undefined ? { runner: flags.runner } : {};
      const path = `/v1/apps/${enc(name)}/restart`;
      const done = await runJob(io, await client(cmd), 'POST', path, body, flags.wait, flags.json);
      if (!done.waited) return;
      if (flags.json) return printJson(io, done.result);
      const status = done.result as AppStatus;
      io.out(`restarted ${name}${flags.runner ? ` (${flags.runner})` : ''}: ${status.health}`);
    });

  app
    .command('scale')
    .description('set how many tasks the web service (or a runner) runs; kept across updates')
    .argument('<name>', 'app name')
    .argument('<replicas>', 'how many, 0 to 100', integer)
    .option('--runner <runner>', 'a runner of the app instead of web')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(
      async (
        name: string,
        replicas: number,
        flags: { runner?: string; wait: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const body =
          flags.runner === undefined || flags.runner === 'web'
            ? { replicas }
            : { runnerReplicas: { [flags.runner]: replicas } };
        const service = flags.runner ?? 'web';
        await patchApp(io, cmd, name, body, flags, {
          failed: `${replicas} replicas of ${service} failed`,
          done: () => `${name} ${service}: ${replicas} replicas`,
        });
      },
    );

  const env = app.command('env').description("an app's environment variables (values are secrets: never shown)");
  env
    .command('ls')
    .description('the names of the variables the operator set (their values stay in the secrets dir)')
    .argument('<name>', 'app name')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { json?: boolean }, cmd: Command) => {
      const status = await (await client(cmd)).get<AppStatus>(`/v1/apps/${enc(name)}`);
      if (flags.json) return printJson(io, status.envKeys);
      for (const key of status.envKeys) io.out(key);
    });
  const change = (verb: 'set' | 'unset') =>
    env
      .command(verb)
      .description(
        verb === 'set'
          ? 'set variables (KEY=value ...): one rolling update, rolled back if the app fails with them'
          : 'remove variables (KEY ...): one rolling update',
      )
      .argument('<name>', 'app name')
      .argument(verb === 'set' ? '<KEY=value...>' : '<KEY...>', verb === 'set' ? 'variables to set' : 'names to remove')
      .option('--no-wait', 'print the job and return at once')
      .option('--json', 'machine-readable output')
      .action(async (name: string, pairs: string[], flags: { wait: boolean; json?: boolean }, cmd: Command) => {
        const body = { env: verb === 'set' ? envToSet(pairs) : envToUnset(pairs) };
        await patchApp(io, cmd, name, body, flags, {
          failed: 'it failed with the new env',
          done: () => `${name}: ${verb === 'set' ? 'set' : 'removed'} ${Object.keys(body.env).join(', ')}`,
        });
      });
  change('set');
  change('unset');
}

/** `KEY=value` pairs; a value may hold `=` and may be empty (an empty value is still a value). */
export function envToSet(pairs: string[]): Record<string, string> {
  return envPairs(pairs, false, { label: '', hint: 'use env unset to remove a variable' }) as Record<string, string>;
}

export function envToUnset(keys: string[]): Record<string, null> {
  const out: Record<string, null> = {};
  for (const key of keys) {
    if (key.includes('=')) throw new Error(`"${key}" must be a variable name alone (env unset KEY ...)`);
    out[key] = null;
  }
  return out;
}
