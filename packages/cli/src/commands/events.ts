import type { Command } from 'commander';
import type { PlatformEvent } from '@minicloud/core';
import type { Io } from '../output.js';
import { integer } from '../options.js';
import { printJson, table } from '../table.js';
import { client } from './app.js';

// `minicloud events`: what happened (who did what, and what went wrong on its own), and
// `minicloud notify`: where the platform sends the events that matter (one webhook).

interface NotifyView {
  webhook: string | null;
  minLevel: string;
}

const LEVELS = ['info', 'warning', 'error'];

function level(value: string): string {
  if (!LEVELS.includes(value)) throw new Error(`--level must be one of ${LEVELS.join(', ')}`);
  return value;
}

function printNotify(io: Io, view: NotifyView): void {
  io.out(view.webhook ? `notifications: ${view.minLevel} and above to ${view.webhook}` : 'notifications: off');
}

export function registerEvents(program: Command, io: Io): void {
  program
    .command('events')
    .description('recent events, newest first: changes with who made them, job results, alerts')
    .option('--app <name>', "only this app's")
    .option('--level <level>', 'only at or above: info, warning, error', level)
    .option('-n, --limit <n>', 'at most N (default 50)', integer)
    .option('--json', 'machine-readable output')
    .action(async (flags: { app?: string; level?: string; limit?: number; json?: boolean }, cmd: Command) => {
      const q = new URLSearchParams({ limit: String(flags.limit ?? 50) });
      if (flags.app) q.set('app', flags.app);
      if (flags.level) q.set('level', flags.level);
      const { events } = await (await client(cmd)).get<{ events: PlatformEvent[] }>(`/v1/events?${q}`);
      if (flags.json) return printJson(io, events);
      table(
        io,
        ['TIME', 'LEVEL', 'APP', 'ACTOR', 'WHAT'],
        events.map((e) => [e.at.replace(/\.\d+Z$/, 'Z'), e.level, e.app ?? '-', e.actor, e.message]),
      );
    });

  const notify = program.command('notify').description('where the platform sends events: one webhook');
  notify
    .command('show')
    .description('the webhook (scheme and host only) and the lowest level sent')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const view = await (await client(cmd)).get<NotifyView>('/v1/platform/notifications');
      if (flags.json) return printJson(io, view);
      printNotify(io, view);
    });
  notify
    .command('set')
    .description('send events at or above a level (default warning) to a webhook, as JSON with `text`')
    .argument('<url>', 'the webhook URL (Slack-, Discord- or ntfy-style, or anything that takes JSON)')
    .option('--level <level>', 'the lowest level sent: info, warning, error', level)
    .option('--json', 'machine-readable output')
    .action(async (url: string, flags: { level?: string; json?: boolean }, cmd: Command) => {
      const body = { webhook: url, ...(flags.level ? { minLevel: flags.level } : {}) };
      const { body: view } = await (await client(cmd)).request<NotifyView>('PUT', '/v1/platform/notifications', body);
      if (flags.json) return printJson(io, view);
      printNotify(io, view);
    });
  notify
    .command('off')
    .description('send no more notifications (events are still recorded)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const { body } = await (await client(cmd)).request<NotifyView>('DELETE', '/v1/platform/notifications');
      if (flags.json) return printJson(io, body);
      printNotify(io, body);
    });
  notify
    .command('test')
    .description('record a test event at the configured level, so the webhook receives it')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const { body } = await (await client(cmd)).request<{ id: number }>('POST', '/v1/platform/notifications/test', {});
      if (flags.json) return printJson(io, body);
      io.out(`test event ${body.id} recorded and sent`);
    });
}
