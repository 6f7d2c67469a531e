import t from 'tap';
import {
  compileStack,
  composeOfCompiled,
  deployStack,
  formatPlan,
  isMinicloudError,
  readImageManifest,
  removeStack,
  stackLeftovers,
  stackStatus,
  type ComposeFile,
} from '@minicloud/core';
import { dockerCli, engineEnv, ensureOverlay, fetchFromNetwork, managerDocker, waitFor } from '../helpers/engine.js';
import { pollDuring } from '../helpers/poller.js';

// Issue 3 end to end, on the two-node test swarm, with no docker CLI in the deploy path.
const env = engineEnv();
const docker = managerDocker(env);
const STACK = 'mc-e2e';
/** An env value full of what compose would otherwise substitute: it must arrive as written. */
const LITERAL = 'costs $5 ${NOT_A_VAR} $$ "quoted"';

/** The hello app's stack from its own image manifest, its web service pinned to the worker. */
async function helloStack(version: '1' | '2', extraRunner = false): Promise<ComposeFile> {
  const image = `${env.registry}/hello:${version}`;
  const { manifest } = await readImageManifest(docker, image);
  if (extraRunner)
    manifest.runners.push({ name: 'extra', command: ['node', '/app/worker.js', '--queue', 'extra'], replicas: 1 });
  const compiled = compileStack(manifest, {
    image,
    replicas: 2,
    endpointMode: env.endpointMode,
    env: { LITERAL: LITERAL },
  });
  const compose = composeOfCompiled(compiled);
  const web = compose.services['web']!;
  web.deploy!.placement = { constraints: ['node.role == worker'] };
  // A shorter watch after each task keeps the test quick; the rollback rule is the same.
  web.deploy!.update_config = { ...web.deploy!.update_config, delay: '1s', monitor: '5s' };
  return compose;
}

async function taskIds(stack: string): Promise<string[]> {
  const status = await stackStatus(stack, docker);
  return status.flatMap((s) => s.tasks.filter((t) => t.desiredState === 'running').map((t) => t.id)).sort();
}

t.before(async () => {
  await ensureOverlay(docker, 'minicloud-proxy');
  await removeStack(STACK, docker).catch(() => undefined);
});
t.teardown(async () => {
  await removeStack(STACK, docker).catch(() => undefined);
});

t.test('deploy: web on the worker, reached from the manager over the overlay network', async (t) => {
  const result = await deployStack(STACK, await helloStack('1'), { docker, timeoutMs: 120_000 });
  t.same(formatPlan(result.plan), ['create    network mc-e2e_app', 'create    service mc-e2e_web']);
  t.same(
    result.services.map((s) => [s.name, s.state, s.running, s.desired]),
    [['mc-e2e_web', 'converged', 2, 2]],
  );

  const status = await stackStatus(STACK, docker);
  const nodes = status[0]!.tasks.filter((task) => task.state === 'running').map((task) => task.node);
  t.same([...new Set(nodes)], [env.workerNodeId], 'both replicas run on the worker');

  const body = await waitFor('the web service to answer', () =>
    fetchFromNetwork('minicloud-proxy', 'http://mc-e2e_web/'),
  );
  t.match(JSON.parse(body), { app: 'hello', version: '1' });
  t.match(await dockerCli(['stack', 'ls'], env), /mc-e2e/, 'docker stack ls sees it (namespace label)');
  const spec = (await docker.getService('mc-e2e_web').inspect()) as {
    Spec: { TaskTemplate: { ContainerSpec: { Env: string[] } } };
  };
  t.ok(
    spec.Spec.TaskTemplate.ContainerSpec.Env.includes(`LITERAL=${LITERAL}`),
    'env with dollars and quotes arrives exactly',
  );
});

t.test('re-deploy of the same file: every object unchanged, no task restarts', async (t) => {
  const before = await taskIds(STACK);
  const result = await deployStack(STACK, await helloStack('1'), { docker });
  t.same(
    result.plan.actions.map((a) => a.op),
    ['unchanged', 'unchanged'],
  );
  await new Promise((r) => setTimeout(r, 2000));
  t.same(await taskIds(STACK), before, 'the same tasks still run');
});

t.test('--dry-run prints the plan and applies nothing', async (t) => {
  const before = await taskIds(STACK);
  const result = await deployStack(STACK, await helloStack('2'), { docker, dryRun: true });
  t.same(formatPlan(result.plan), [
    'unchanged network mc-e2e_app',
    'update    service mc-e2e_web (Labels.com.docker.stack.image, Labels.minicloud.image, TaskTemplate.ContainerSpec.Image)',
  ]);
  t.same(await taskIds(STACK), before);
});

t.test('a new image rolls out with no failed request for a 2-replica service', async (t) => {
  const polling = pollDuring('minicloud-proxy', 'http://mc-e2e_web/', { maxSeconds: 150, stopWhenVersion: '2' });
  await new Promise((r) => setTimeout(r, 1500));
  const result = await deployStack(STACK, await helloStack('2'), { docker, timeoutMs: 150_000 });
  t.equal(result.plan.actions.find((a) => a.kind === 'service')?.op, 'update');
  t.same(
    result.services.map((s) => [s.state, s.running]),
    [['converged', 2]],
  );
  const polled = await polling;
  t.equal(
    polled.failed,
    0,
    `no failed request during the update (${polled.ok} ok; errors: ${polled.errors.join(', ')})`,
  );
  t.ok(
    (polled.versions['1'] ?? 0) > 0 && (polled.versions['2'] ?? 0) > 0,
    `served v1 then v2: ${JSON.stringify(polled.versions)}`,
  );
});

t.test('prune removes a service dropped from the file; without --prune it stays', async (t) => {
  await deployStack(STACK, await helloStack('2', true), { docker });
  t.ok((await stackStatus(STACK, docker)).some((s) => s.name === 'mc-e2e_extra'));
  const kept = await deployStack(STACK, await helloStack('2'), { docker });
  t.notOk(kept.plan.actions.some((a) => a.op === 'remove'));
  t.ok(
    (await stackStatus(STACK, docker)).some((s) => s.name === 'mc-e2e_extra'),
    'still there without prune',
  );
  const pruned = await deployStack(STACK, await helloStack('2'), { docker, prune: true });
  t.same(
    pruned.plan.actions.filter((a) => a.op === 'remove').map((a) => a.name),
    ['mc-e2e_extra'],
  );
  t.notOk(
    (await stackStatus(STACK, docker)).some((s) => s.name === 'mc-e2e_extra'),
    'gone with prune',
  );
});

t.test('a stack whose image does not exist fails with the engine reason, not a hang', async (t) => {
  const compose: ComposeFile = {
    version: '3.8',
    services: { ghost: { image: `${env.registry}/does-not-exist:1`, deploy: { endpoint_mode: env.endpointMode } } },
  };
  const started = Date.now();
  try {
    await deployStack('mc-e2e-missing', compose, { docker, timeoutMs: 90_000 });
    t.fail('expected the deploy to fail');
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_DEPLOY_FAILED');
    t.match(error.message, /mc-e2e-missing_ghost failed: .*(No such image|not found|manifest unknown)/i);
    t.ok(
      Date.now() - started < 90_000,
      `reported in ${Math.round((Date.now() - started) / 1000)} s, before the timeout`,
    );
  } finally {
    await removeStack('mc-e2e-missing', docker).catch(() => undefined);
  }
});

t.test('rm removes the stack and stack ps then finds nothing', async (t) => {
  const removed = await removeStack(STACK, docker);
  t.ok(removed.includes('mc-e2e_web') && removed.includes('mc-e2e_app'), removed.join(', '));
  t.same(await stackStatus(STACK, docker), []);
  try {
    await removeStack(STACK, docker);
    t.fail('a second rm should say there is no such stack');
  } catch (error) {
    t.equal(isMinicloudError(error) && error.code, 'MC_STACK_NOT_FOUND');
  }
});

// Issue 18: swarm removes a stack's networks only once their tasks are gone, and shows them
// until then; a deploy right after a remove used to plan them unchanged and then fail with
// `network ..._app not found`.
const RACE = 'mc-e2e-race';
/** The hello app on the stack's default network; a short stop grace keeps ten rounds quick. */
const raceStack = (grace = '10s'): ComposeFile => ({
  version: '3.8',
  services: {
    web: { image: `${env.registry}/hello:1`, stop_grace_period: grace, deploy: { endpoint_mode: env.endpointMode } },
  },
  networks: {},
});

t.test('deploy, rm, deploy of one stack ten times with no pause: every deploy converges', async (t) => {
  t.teardown(() => removeStack(RACE, docker).catch(() => undefined));
  for (let i = 1; i <= 10; i++) {
    const result = await deployStack(RACE, raceStack('2s'), { docker, timeoutMs: 120_000 });
    t.same(
      result.services.map((s) => [s.state, s.running]),
      [['converged', 1]],
      `deploy ${i} converges`,
    );
    const lines: string[] = [];
    await removeStack(RACE, docker, { progress: (l) => lines.push(l) });
    t.same(await stackLeftovers(docker, RACE), [], `rm ${i} returns once nothing of the stack is left`);
  }
});

t.test('a deploy right after `docker stack rm` (which returns at once) waits for the old network', async (t) => {
  t.teardown(() => removeStack(RACE, docker).catch(() => undefined));
  for (let i = 1; i <= 3; i++) {
    await deployStack(RACE, raceStack(), { docker, timeoutMs: 120_000 });
    await dockerCli(['stack', 'rm', RACE]);
    const result = await deployStack(RACE, raceStack(), { docker, timeoutMs: 120_000 });
    t.same(
      result.services.map((s) => [s.state, s.running]),
      [['converged', 1]],
      `deploy ${i} after the CLI's rm converges`,
    );
  }
});

t.test('rm --detach returns before the stack is gone; a deploy after it still converges', async (t) => {
  t.teardown(() => removeStack(RACE, docker).catch(() => undefined));
  await deployStack(RACE, raceStack(), { docker, timeoutMs: 120_000 });
  await removeStack(RACE, docker, { detach: true });
  t.not((await stackLeftovers(docker, RACE)).length, 0, 'its task is still stopping');
  const result = await deployStack(RACE, raceStack(), { docker, timeoutMs: 120_000 });
  t.same(
    result.services.map((s) => [s.state, s.running]),
    [['converged', 1]],
  );
});

t.test('a secret whose file changed is refused by name at the next deploy, and nothing is changed', async (t) => {
  const STACK2 = 'mc-secret';
  t.teardown(() => removeStack(STACK2, docker).catch(() => undefined));
  const withSecret = (content: string) => ({
    compose: {
      version: '3.8',
      services: {
        web: {
          image: `${env.registry}/hello:1`,
          secrets: [{ source: 'token' }],
          deploy: { endpoint_mode: env.endpointMode },
        },
      },
      secrets: { token: { file: 'token.txt' } },
      networks: {},
    } satisfies ComposeFile,
    inputs: { envFiles: {}, files: { 'token.txt': Buffer.from(content) } },
  });
  const first = withSecret('one');
  await deployStack(STACK2, first.compose, { docker, inputs: first.inputs, timeoutMs: 120_000 });
  const again = await deployStack(STACK2, first.compose, { docker, inputs: first.inputs, timeoutMs: 120_000 });
  t.match(
    again.plan.actions.find((a) => a.kind === 'secret'),
    { op: 'unchanged' },
    'same content: unchanged',
  );
  const before = await taskIds(STACK2);
  const changed = withSecret('two');
  const error = await deployStack(STACK2, changed.compose, { docker, inputs: changed.inputs, timeoutMs: 120_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isMinicloudError(error), String(error));
  if (!isMinicloudError(error)) return;
  t.equal(error.code, 'MC_STACK_OBJECT_CHANGED');
  t.match(error.message, 'secret "mc-secret_token" exists with other content');
  t.same(await taskIds(STACK2), before, 'the running stack is untouched');
});
