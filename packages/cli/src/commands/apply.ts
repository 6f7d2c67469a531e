import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  formatApplyPlan,
  formatDrift,
  readDesiredApps,
  readGivenSecrets,
  type ApplyRequest,
  type ApplyResult,
  type Drift,
} from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson, table } from '../table.js';
import { client, runJob } from './app.js';

// `minicloud apply` and `minicloud diff`: the configuration directory as the source of truth,
// through the API like the other app commands (the server carries the plan out as a job).

interface ApplyFlags {
  dryRun?: boolean;
  prune?: boolean;
  json?: boolean;
}

/** The apps and env values of a directory given by path; none: the server reads its own. */
async function desiredBody(dir: string | undefined): Promise<Pick<ApplyRequest, 'apps' | 'secrets'>> {
  if (dir === undefined) return {};
  const path = resolve(dir);
  const apps = await readDesiredApps(path);
  return { apps, secrets: await readGivenSecrets(path, apps, process.env) };
}

function printPlan(io: Io, result: ApplyResult): void {
  if (result.plan.apps.length === 0) return io.out('no apps in the directory or on the platform');
  table(io, ['APP', 'ACTION', 'CHANGES'], formatApplyPlan(result.plan));
}

export function registerApply(program: Command, io: Io): void {
  program
    .command('apply')
    .description(
      'reconcile the apps to a configuration directory (default: the platform config dir): plan, then add, update or remove',
    )
    .argument('[dir]', 'a configuration directory, e.g. a git checkout of it (its apps/ and secrets/)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--prune', 'remove apps the directory no longer has (their data stays)')
    .option('--json', 'machine-readable output')
    .action(async (dir: string | undefined, flags: ApplyFlags, cmd: Command) => {
      const api = await client(cmd);
      const body = { ...(await desiredBody(dir)), ...(flags.prune ? { prune: true } : {}) };
      const plan = async (dryRun: boolean) =>
        (await runJob(io, api, 'POST', '/v1/apply', { ...body, dryRun }, true, flags.json)).result as ApplyResult;
      if (flags.json) return printJson(io, await plan(flags.dryRun ?? false));
      // The plan first, as data; then the same request carried out.
      const planned = await plan(true);
      printPlan(io, planned);
      if (flags.dryRun) return;
      const acting = planned.plan.apps.filter((e) => e.action !== 'unchanged' && e.action !== 'skip');
      if (acting.length === 0) return io.out('nothing to apply');
      const done = await plan(false);
      const count = (action: string) => done.plan.apps.filter((e) => e.action === action).length;
      io.out(`applied: ${count('create')} created, ${count('update')} updated, ${count('remove')} removed`);
    });

  program
    .command('diff')
    .description(
      'what runs vs the configuration directory of the platform: per app and service, each field that differs',
    )
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const { body } = await (await client(cmd)).request<{ drift: Drift[] }>('GET', '/v1/diff');
      if (flags.json) return printJson(io, body);
      if (body.drift.length === 0) return io.out('no drift: what runs is what the directory says');
      table(io, ['APP', 'SERVICE', 'FIELD', 'DIRECTORY', 'RUNNING'], formatDrift(body.drift));
    });
}
