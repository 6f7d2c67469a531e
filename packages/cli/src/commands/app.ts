import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { needNamesText, type AppStatus, type UpdateResult } from '@minicloud/core';
import type { Io } from '../output.js';
import { collect, integer } from '../options.js';
import { printJson, table } from '../table.js';
import { resolveServer, configPath, type ServerFlags } from '../client/config.js';
import { ApiClient, type Job } from '../client/http.js';
import { registerAppOps } from './app-ops.js';
import { registerAppExec } from './app-exec.js';
import { registerAppStats } from './app-stats.js';

// `minicloud app ...`: the app lifecycle through the REST API of a minicloud server, so the CLI
// and the admin pages run the same logic (the server's). Long operations are jobs whose
// progress is printed to stderr, keeping stdout for the result (and --json clean).

interface AppSummary {
  name: string;
  state?: 'active' | 'removing';
  removal?: AppStatus['removal'];
  image: string;
  health: string;
  running: number;
  desired: number;
  urls: string[];
}

const enc = encodeURIComponent;

interface KeptDataFlags {
  adopt?: boolean;
  purgeOld?: boolean;
}

/** --adopt / --purge-old as the API's fields. */
function keptDataBody(flags: KeptDataFlags): { adopt?: true; purgeOld?: true } {
  return { ...(flags.adopt ? { adopt: true as const } : {}), ...(flags.purgeOld ? { purgeOld: true as const } : {}) };
}

export async function client(cmd: Command): Promise<ApiClient> {
  const flags = cmd.optsWithGlobals<ServerFlags>();
  const config = await resolveServer(flags);
  if (!config)
    throw new Error(
      `no minicloud server configured: pass --server URL --token TOKEN, set MINICLOUD_SERVER and MINICLOUD_TOKEN, or write ${configPath()}`,
    );
  return new ApiClient(config);
}

/**
 * `KEY=value` (or `KEY=` to remove, when allowed) into a map; a value may hold `=`. `label` is how
 * an error names the pair (`--env "X"`), `hint` what to do instead.
 */
export function envPairs(
  pairs: string[],
  allowRemove: boolean,
  { label = '--env ', hint = allowRemove ? 'or KEY= to remove' : '' } = {},
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`${label}"${pair}" must be KEY=value${hint ? ` (${hint})` : ''}`);
    const value = pair.slice(eq + 1);
    out[pair.slice(0, eq)] = value === '' && allowRemove ? null : value;
  }
  return out;
}

/**
 * A change of the app (PATCH /v1/apps/NAME) as a job: followed to its end unless --no-wait, then
 * the result as JSON or one line: `done` when it is live, `failed` when it was rolled back.
 */
export async function patchApp(
  io: Io,
  cmd: Command,
  name: string,
  body: Record<string, unknown>,
  flags: { wait: boolean; json?: boolean | undefined },
  say: { done: (result: UpdateResult) => string; failed: string },
): Promise<void> {
  const done = await runJob(io, await client(cmd), 'PATCH', `/v1/apps/${enc(name)}`, body, flags.wait, flags.json);
  if (!done.waited) return;
  const result = done.result as UpdateResult;
  if (flags.json) return printJson(io, result);
  io.out(
    result.rolledBack
      ? `rolled back ${name}: ${say.failed}${result.reason ? `: ${result.reason}` : ''}`
      : say.done(result),
  );
}

/** What is left of an app being removed, and the command that finishes it. */
function removingLines(a: Pick<AppStatus, 'name' | 'removal'>): string[] {
  const left = a.removal?.left ?? [];
  return [
    `REMOVING: ${left.map((l) => l.part).join(', ') || 'nothing'} left; \`minicloud app rm ${a.name}${a.removal?.purge ? ' --purge' : ''}\` finishes it`,
    ...left.map((l) => `  ${l.part}: ${l.reason}`),
  ];
}

/** The HEALTH column: removing wins (a removing app is down on purpose). */
function healthOf(a: { health: string; state?: string }): string {
  return a.state === 'removing' ? 'removing' : a.health;
}

export function printApp(io: Io, a: AppStatus): void {
  io.out(`name:     ${a.name}`);
  if (a.state === 'removing') io.out(`state:    removing`);
  io.out(`image:    ${a.image}`);
  io.out(`health:   ${a.health}`);
  for (const trouble of a.placement ?? []) io.out(`node:     ${trouble.message}`);
  io.out(`replicas: ${a.replicas}`);
  io.out(`needs:    ${a.needs.join(', ') || '-'}`);
  io.out(`domains:  ${a.domains.join(', ') || '-'}`);
  io.out(`env:      ${a.envKeys.join(', ') || '-'}`);
  io.out(`urls:     ${a.urls.join(' ') || '-'}`);
  if (a.state === 'removing') for (const line of removingLines(a)) io.out(line);
  if (a.certificates && a.certificates.length > 0) {
    io.out('');
    table(
      io,
      ['DOMAIN', 'CERTIFICATE', 'VALID UNTIL', 'LAST ATTEMPT', 'NEXT', 'LAST ERROR'],
      a.certificates.map((c) => [
        c.domain,
        c.issuer,
        c.notAfter ?? '-',
        c.lastAttempt ?? '-',
        c.nextAttempt ?? '-',
        c.lastError ?? '',
      ]),
    );
  }
  const rows = a.services.flatMap((s) =>
    s.tasks.length === 0
      ? [[s.name, `${s.running}/${s.desired}`, '-', '-', '-', '']]
      : s.tasks.map((t) => [
          s.name,
          `${s.running}/${s.desired}`,
          t.id.slice(0, 12),
          t.state,
          t.node.slice(0, 12),
          t.error ?? '',
        ]),
  );
  if (rows.length > 0) {
    io.out('');
    table(io, ['SERVICE', 'RUNNING', 'TASK', 'STATE', 'NODE', 'ERROR'], rows);
  }
}

/** Starts a job and, unless --no-wait, follows it to its end. */
export async function runJob(
  io: Io,
  api: ApiClient,
  method: string,
  path: string,
  body: unknown,
  wait: boolean,
  json: boolean | undefined,
): Promise<{ job: Job; result?: unknown; waited: boolean }> {
  const { body: job } = await api.request<Job>(method, path, body);
  if (!wait) {
    if (json) printJson(io, job);
    else io.out(`job ${job.id} started (minicloud job: GET /v1/jobs/${job.id})`);
    return { job, waited: false };
  }
  const result = await api.waitJob(job, (step) => io.err(`  ${step}`));
  return { job, result, waited: true };
}

export function registerApp(program: Command, io: Io, setExit: (code: number) => void = () => undefined): void {
  program
    .option('--server <url>', 'the minicloud API to drive (or MINICLOUD_SERVER, or the config file)')
    .option('--token <token>', 'its admin or deploy token (or MINICLOUD_TOKEN, or the config file)');

  const app = program.command('app').description('apps on a minicloud server: list, show, add, update, remove');

  app
    .command('ls')
    .description('list apps with their health, running tasks and URLs')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const api = await client(cmd);
      const { apps } = await api.get<{ apps: AppSummary[] }>('/v1/apps');
      if (flags.json) return printJson(io, apps);
      table(
        io,
        ['NAME', 'HEALTH', 'RUNNING', 'IMAGE', 'URLS'],
        apps.map((a) => [a.name, healthOf(a), `${a.running}/${a.desired}`, a.image, a.urls.join(' ')]),
      );
      for (const a of apps.filter((x) => x.state === 'removing')) {
        io.out('');
        io.out(`${a.name}: ${removingLines(a)[0]!.replace(/^REMOVING: /, '')}`);
      }
    });

  app
    .command('show')
    .description('an app with its services, tasks, health and URLs')
    .argument('<name>', 'app name')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { json?: boolean }, cmd: Command) => {
      const status = await (await client(cmd)).get<AppStatus>(`/v1/apps/${enc(name)}`);
      if (flags.json) return printJson(io, status);
      printApp(io, status);
    });

  app
    .command('add')
    .description(
      'add an app from an image (reads its manifest) or a compose file (its x-minicloud): provisions what it ' +
        'needs, deploys it',
    )
    .argument('[name]', "the app's name (default: the manifest's; required with --compose)")
    .option('--image <image>', 'image reference, e.g. registry.example.com:5443/team/app:1.0')
    .option('--compose <file>', 'a compose file instead of an image (see "Apps from a compose file")')
    .option('--domain <domain>', 'an extra domain (repeatable)', collect, [])
    .option('--env <KEY=value>', 'an environment variable (repeatable)', collect, [])
    .option('--replicas <n>', 'replicas of the web service', integer)
    .option('--adopt', 'take over data an earlier app of this name left (database, vhost, storage), re-keyed')
    .option('--purge-old', 'drop data an earlier app of this name left, then start empty')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(
      async (
        name: string | undefined,
        flags: {
          image?: string;
          compose?: string;
          domain: string[];
          env: string[];
          replicas?: number;
          adopt?: boolean;
          purgeOld?: boolean;
          wait: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (flags.adopt && flags.purgeOld) throw new Error('give --adopt or --purge-old, not both');
        if (Boolean(flags.image) === Boolean(flags.compose)) throw new Error('give --image or --compose (one of them)');
        if (flags.compose && !name) throw new Error('give the app a name: a compose file does not name its app');
        const body = {
          ...(flags.image ? { image: flags.image } : {}),
          ...(flags.compose ? { compose: await readFile(flags.compose, 'utf8') } : {}),
          ...(name ? { name } : {}),
          ...(flags.domain.length > 0 ? { domains: flags.domain } : {}),
          ...(flags.env.length > 0 ? { env: envPairs(flags.env, false) } : {}),
          ...(flags.replicas !== undefined ? { replicas: flags.replicas } : {}),
          ...keptDataBody(flags),
        };
        const done = await runJob(io, await client(cmd), 'POST', '/v1/apps', body, flags.wait, flags.json);
        if (!done.waited) return;
        const status = done.result as AppStatus;
        if (flags.json) return printJson(io, status);
        io.out(`added ${status.name}: ${status.urls.join(' ') || '(no http port)'}`);
      },
    );

  app
    .command('update')
    .description(
      'deploy a new image or compose file, env or replica count (rolled back if the new version fails its healthcheck)',
    )
    .argument('<name>', 'app name')
    .option('--image <image>', 'a new image reference')
    .option('--compose <file>', "a compose app's new file (replaces the one it has)")
    .option('--env <KEY=value>', 'set (KEY=value) or remove (KEY=) a variable (repeatable)', collect, [])
    .option('--replicas <n>', 'replicas of the web service', integer)
    .option('--follow-tag', "roll out every push of the image's tag to the platform's registry (push to deploy)")
    .option('--no-follow-tag', 'stop following the tag')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(
      async (
        name: string,
        flags: {
          image?: string;
          compose?: string;
          env: string[];
          replicas?: number;
          followTag?: boolean;
          wait: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const body = {
          ...(flags.image ? { image: flags.image } : {}),
          ...(flags.compose ? { compose: await readFile(flags.compose, 'utf8') } : {}),
          ...(flags.env.length > 0 ? { env: envPairs(flags.env, true) } : {}),
          ...(flags.replicas !== undefined ? { replicas: flags.replicas } : {}),
          ...(flags.followTag !== undefined ? { followTag: flags.followTag } : {}),
        };
        await patchApp(io, cmd, name, body, flags, {
          failed: 'the new version failed',
          done: (result) =>
            `updated ${name}: ${result.app.image}, ${result.app.replicas} replicas${result.app.followTag ? ', following its tag' : ''}`,
        });
      },
    );

  app
    .command('rm')
    .description(
      'remove an app; --purge also drops its database, message bus and storage. The app lists as removing ' +
        'until every part is gone; if a step fails, run the same command again to finish',
    )
    .argument('<name>', 'app name')
    .option('--purge', 'also drop its data')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { purge?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
      const path = `/v1/apps/${enc(name)}${flags.purge ? '?purge=true' : ''}`;
      const done = await runJob(io, await client(cmd), 'DELETE', path, undefined, flags.wait, flags.json);
      if (!done.waited) return;
      if (flags.json) return printJson(io, { removed: name, purged: flags.purge ?? false });
      io.out(`removed ${name}${flags.purge ? ' and its data' : ''}`);
    });

  const domain = app.command('domain').description("an app's domains");
  domain
    .command('add')
    .description(
      'route a domain to the app (with your certificate, or one from the platform CA); ' +
        "for a domain it has, --cert/--key replace the domain's certificate",
    )
    .argument('<name>', 'app name')
    .argument('<domain>', 'host name')
    .option('--cert <file>', 'PEM certificate, RSA or ECDSA P-256/P-384, chain after it (with --key)')
    .option('--key <file>', 'PEM private key (with --cert)')
    .option('--json', 'machine-readable output')
    .action(
      async (name: string, host: string, flags: { cert?: string; key?: string; json?: boolean }, cmd: Command) => {
        if (Boolean(flags.cert) !== Boolean(flags.key)) throw new Error('give --cert and --key together');
        const certificate =
          flags.cert && flags.key
            ? { certificatePem: await readFile(flags.cert, 'utf8'), privateKeyPem: await readFile(flags.key, 'utf8') }
            : undefined;
        const api = await client(cmd);
        const { body } = await api.request<AppStatus>('POST', `/v1/apps/${enc(name)}/domains`, {
          domain: host,
          ...(certificate ? { certificate } : {}),
        });
        if (flags.json) return printJson(io, body);
        io.out(`${host} routes to ${name}`);
      },
    );
  domain
    .command('rm')
    .description('stop routing a domain to the app')
    .argument('<name>', 'app name')
    .argument('<domain>', 'host name')
    .option('--json', 'machine-readable output')
    .action(async (name: string, host: string, flags: { json?: boolean }, cmd: Command) => {
      const api = await client(cmd);
      const { body } = await api.request<AppStatus>('DELETE', `/v1/apps/${enc(name)}/domains/${enc(host)}`);
      if (flags.json) return printJson(io, body);
      io.out(`${host} no longer routes to ${name}`);
    });

  const need = app.command('need').description("an app's database, message bus and storage");
  need
    .command('add')
    .description(`attach a ${needNamesText()}`)
    .argument('<name>', 'app name')
    .argument('<need>', needNamesText())
    .option('--adopt', 'take over data of this need an earlier app of the name left, re-keyed')
    .option('--purge-old', 'drop such data first, then start empty')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(
      async (name: string, what: string, flags: KeptDataFlags & { wait: boolean; json?: boolean }, cmd: Command) => {
        if (flags.adopt && flags.purgeOld) throw new Error('give --adopt or --purge-old, not both');
        const path = `/v1/apps/${enc(name)}/needs`;
        const body = { need: what, ...keptDataBody(flags) };
        const done = await runJob(io, await client(cmd), 'POST', path, body, flags.wait, flags.json);
        if (!done.waited) return;
        if (flags.json) return printJson(io, done.result);
        io.out(`${name} has its ${what}`);
      },
    );
  need
    .command('rm')
    .description('detach a need; --purge also drops its data')
    .argument('<name>', 'app name')
    .argument('<need>', needNamesText())
    .option('--purge', 'also drop its data')
    .option('--no-wait', 'print the job and return at once')
    .option('--json', 'machine-readable output')
    .action(
      async (name: string, what: string, flags: { purge?: boolean; wait: boolean; json?: boolean }, cmd: Command) => {
        const path = `/v1/apps/${enc(name)}/needs/${enc(what)}${flags.purge ? '?purge=true' : ''}`;
        const done = await runJob(io, await client(cmd), 'DELETE', path, undefined, flags.wait, flags.json);
        if (!done.waited) return;
        if (flags.json) return printJson(io, done.result);
        io.out(`${name} no longer has its ${what}${flags.purge ? ' (data dropped)' : ''}`);
      },
    );

  registerAppOps(app, io);
  registerAppExec(app, io, setExit);
  registerAppStats(app, io);
}
