import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplyResult, Drift } from '@minicloud/core';
import { engineEnv, execIn, managerDocker, serviceContainerOnAnyNode, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, CLI, DATA, INSTALL, sh } from '../helpers/platform.js';

// Issue 17 end to end: the configuration directory as the source of truth. Two apps added
// through the API; a copy of the directory (as a git checkout would be) edited and applied
// with the CLI: only the edited app rolls, an app deleted from the copy stays without --prune
// and goes with it, and `minicloud diff` sees a change made by hand with docker service update.
const docker = managerDocker(engineEnv());
const APPS = ['apply-a', 'apply-b'];
let image = '';
let copy = '';

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  image = await buildAndPush(
    'applied:1',
    'name: applied\nexpose: [{proto: http, port: 80}]\nhealthcheck: {http: /health, interval: 3s, retries: 2, start_period: 3s}\n',
  );
  copy = mkdtempSync(join(tmpdir(), 'mc-apply-copy-'));
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return sh(CLI, args, { timeout: 300_000 });
}

async function applyJson(args: string[]): Promise<ApplyResult> {
  const res = await cli(['apply', copy, ...args, '--json']);
  if (res.code !== 0) throw new Error(`minicloud apply ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout) as ApplyResult;
}

const entry = (result: ApplyResult, app: string) => result.plan.apps.find((e) => e.app === app);

/** The ids of the app's running web tasks: a task that was not replaced keeps its id. */
async function taskIds(app: string): Promise<string[]> {
  const tasks = await docker.listTasks({ filters: { service: [`${app}_web`], 'desired-state': ['running'] } });
  return tasks.map((task) => task.ID ?? '').sort();
}

t.test('two apps added, the directory copied: applying the copy unchanged changes nothing', async (t) => {
  for (const name of APPS) {
    const res = await api('POST', '/v1/apps?wait=true', { image, name, env: { GREETING: 'hi' } });
    t.equal(res.status, 201, `add ${name}: ${JSON.stringify(res.json).slice(0, 500)}`);
  }
  cpSync(join(DATA, 'config'), copy, { recursive: true });
  const plan = await applyJson(['--dry-run']);
  for (const name of APPS) t.match(entry(plan, name), { action: 'unchanged', changes: [] }, name);
  t.equal(plan.applied, false);
});

t.test('an env edit in the copy: the dry run shows only that app; apply rolls only it', async (t) => {
  const file = join(copy, 'apps/apply-a/app.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as { envKeys: string[] };
  record.envKeys = [...record.envKeys, 'EXTRA'].sort();
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  mkdirSync(join(copy, 'secrets/apply-a'), { recursive: true });
  writeFileSync(join(copy, 'secrets/apply-a/EXTRA'), 'from-the-secrets-dir\n');

  const dry = await applyJson(['--dry-run']);
  t.match(entry(dry, 'apply-a'), { action: 'update', changes: [{ field: 'env.EXTRA', secret: true }] });
  t.match(entry(dry, 'apply-b'), { action: 'unchanged' });
  t.notOk(
    dry.plan.apps.some((e) => e.action !== 'unchanged' && e.app !== 'apply-a'),
    'no other app would change',
  );
  t.notMatch(JSON.stringify(dry), /from-the-secrets-dir/, 'the value is never printed');

  const table = await cli(['apply', copy, '--dry-run']);
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, /apply-a\s+update\s+env\.EXTRA \(secret differs\)/);

  const before = await taskIds('apply-b');
  t.equal(before.length, 1);
  const applied = await applyJson([]);
  t.equal(applied.applied, true);
  const container = await serviceContainerOnAnyNode('apply-a_web');
  const printed = await execIn(container.docker, container.id, ['printenv', 'EXTRA', 'GREETING']);
  t.equal(printed.stdout, 'from-the-secrets-dir\nhi\n', 'apply-a runs with the new value, the old one kept');
  t.same(await taskIds('apply-b'), before, 'apply-b was not rolled: same task');
  t.match(entry(await applyJson(['--dry-run']), 'apply-a'), { action: 'unchanged' }, 'applied: nothing left');
});

t.test('a missing secret fails the apply, naming app and variable, and nothing is applied', async (t) => {
  const file = join(copy, 'apps/apply-b/app.json');
  const original = readFileSync(file, 'utf8');
  const record = JSON.parse(original) as { envKeys: string[]; replicas: number };
  writeFileSync(file, JSON.stringify({ ...record, envKeys: [...record.envKeys, 'NOWHERE'], replicas: 2 }));
  const res = await cli(['apply', copy]);
  t.not(res.code, 0);
  t.match(res.stderr, /MC_CONFIG_INVALID.*apply-b\.env\.NOWHERE/s);
  t.equal((await taskIds('apply-b')).length, 1, 'the replicas change was not applied either');
  writeFileSync(file, original);
});

t.test('an app deleted from the copy stays without --prune and goes with it', async (t) => {
  rmSync(join(copy, 'apps/apply-b'), { recursive: true, force: true });
  const kept = await applyJson([]);
  t.match(entry(kept, 'apply-b'), { action: 'skip', note: /--prune/ });
  t.equal((await api('GET', '/v1/apps/apply-b')).status, 200, 'still there');

  const pruned = await applyJson(['--prune']);
  t.match(entry(pruned, 'apply-b'), { action: 'remove' });
  t.equal((await api('GET', '/v1/apps/apply-b')).status, 404, 'removed');
  await waitFor('apply-b_web to be gone', async () =>
    (await docker.listServices({ filters: { name: ['apply-b_web'] } })).length === 0 ? true : undefined,
  );
});

t.test('diff shows a change made by hand with docker service update', async (t) => {
  const clean = await cli(['diff', '--json']);
  t.equal(clean.code, 0, clean.stderr);
  t.same(
    (JSON.parse(clean.stdout) as { drift: Drift[] }).drift.filter((d) => d.app === 'apply-a'),
    [],
    'no drift after apply',
  );
  const update = await sh('/usr/bin/docker', ['service', 'update', '--detach', '--env-add', 'DRIFT=1', 'apply-a_web']);
  t.equal(update.code, 0, update.stderr);
  const res = await cli(['diff', '--json']);
  t.equal(res.code, 0, res.stderr);
  const drift = (JSON.parse(res.stdout) as { drift: Drift[] }).drift.filter((d) => d.app === 'apply-a');
  t.same(drift, [{ app: 'apply-a', service: 'apply-a_web', field: 'env.DRIFT', running: '1' }]);
  const table = await cli(['diff']);
  t.match(table.stdout, /apply-a\s+apply-a_web\s+env\.DRIFT\s+-\s+1/);
  t.notMatch(table.stdout, /from-the-secrets-dir/);
});

t.teardown(async () => {
  for (const name of APPS) await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`).catch(() => undefined);
  if (copy) rmSync(copy, { recursive: true, force: true });
});
