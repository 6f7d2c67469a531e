import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformVersion } from '@minicloud/core';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';
import { stackContainers } from '../helpers/platform-state.js';
import {
  ADDR,
  CLI,
  DATA,
  DOMAIN,
  INSTALL,
  REGISTRY,
  REPO,
  platformSecret as secret,
  sh,
  type Result,
} from '../helpers/platform.js';

// Issue 4's checks, end to end on the test swarm: install.sh brings the platform up (debian
// images), the admin API answers over HTTPS through the proxy, a second run is a no-op, a
// new worker joins with join-worker.sh, an image pushed with `minicloud push` runs on that
// worker from the registry and is served through the proxy, an unauthenticated push is
// refused, the registry clean-up keeps what runs, the footprint is under target, and
// uninstall.sh --purge takes it all away again (so every run installs from scratch).

// Where install.sh puts the platform (DATA, CLI, DOMAIN, ...), INSTALL, sh() and secret() are
// test/helpers/platform.ts's, shared with apps.test.ts, which tests the same installed platform.
const env = engineEnv();
const docker = managerDocker(env);
// test/engine/worker-node.sh's test host w2 (scripts/engine/lib.sh host_sock).
const W2_HOST = 'unix:///var/lib/minicloud-test/hosts/w2/docker.sock';
const SERVICES = ['proxy', 'registry', 'api'];
// The need kinds' services: deployed, and idle (0 replicas) while no app needs them.
const SHARED = ['mariadb', 'rabbitmq', 'postgres', 'redis'];

const docker_ = (args: string[], host = env.dockerHost) => sh('/usr/bin/docker', args, { env: { DOCKER_HOST: host } });
const curl = (args: string[]) => sh('curl', ['-s', '--noproxy', '*', '--max-time', '20', ...args]);
const https = (host: string, path: string, extra: string[] = []) =>
  curl(['--resolve', `${host}:443:${ADDR}`, '--cacert', `${DATA}/pki/ca.crt`, ...extra, `https://${host}${path}`]);

async function install(extraEnv: Record<string, string> = {}, args = INSTALL): Promise<Result & { seconds: number }> {
  const start = Date.now();
  const result = await sh('bash', args, { timeout: 900_000, env: extraEnv });
  return { ...result, seconds: (Date.now() - start) / 1000 };
}

/** Every file of the data dir that install owns, with its hash and mtime; data dirs of services left out. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const skip = new Set(['logs', 'build', 'mariadb', 'rabbitmq', 'registry', '.install.lock']);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (dir === DATA && skip.has(entry.name)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const s = statSync(path);
        out[path] =
          `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${s.mtimeMs} ${(s.mode & 0o777).toString(8)}`;
      }
    }
  };
  walk(DATA);
  return out;
}

async function serviceRow(name: string) {
  const [row] = (await docker.listServices({ filters: { name: [name] } })).filter((s) => s.Spec?.Name === name);
  return row;
}

// What this file leaves behind, at its end, and at its start too: a run cut short (its
// teardown never ran) must not make the next one fail on a name that is taken.
async function cleanUp(): Promise<void> {
  await docker_(['service', 'rm', 'mc-platform-hello']);
  rmSync(`${DATA}/config/management/proxy/conf.d/mc-platform-hello.conf`, { force: true });
  await sh('bash', [`${REPO}/test/engine/worker-node.sh`, 'down'], { timeout: 180_000 });
  for (const tag of ['platform-test/hello:1', 'platform-test/hello:2', 'platform-test/random:1'])
    await docker_(['rmi', `${REGISTRY}/${tag}`]);
  await docker_(['rmi', 'minicloud-test/random:1']);
}
t.before(cleanUp);
t.teardown(cleanUp);

t.test('install.sh refuses to run as non-root, and names the step that failed', async (t) => {
  const user = await sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', ...INSTALL]);
  t.not(user.code, 0, 'exits non-zero as nobody');
  t.match(user.stderr, "install: step 'root' failed: install.sh must run as root", 'says why');
  const dead = await sh('bash', INSTALL, { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  t.not(dead.code, 0, 'exits non-zero without an engine');
  t.match(
    dead.stderr,
    /install: step 'docker engine' failed: the Docker Engine at DOCKER_HOST=\S+ does not answer/,
    'names the step',
  );
});

let installed = false;

t.test('install.sh --images=debian brings the platform up', async (t) => {
  // A leftover of an interrupted run would make this a re-run; start from nothing.
  await sh('bash', [`${REPO}/install/uninstall.sh`, `--data-dir=${DATA}`, '--purge'], { timeout: 300_000 });
  const first = await install();
  t.equal(first.code, 0, `install exits 0${first.code ? `: ${first.stderr.slice(-2000)}` : ''}`);
  t.comment(`install (images cached, everything else from scratch): ${first.seconds.toFixed(1)} s`);
  const out = first.stdout + first.stderr;
  t.match(out, 'minicloud is up', 'it says so');
  t.match(out, `https://admin.${DOMAIN}/`, 'prints the admin URL');
  t.match(out, secret('admin-token'), 'prints the admin token');
  t.match(out, /bash join-worker\.sh[\s\S]*--token SWMTKN-/, 'prints how to join a worker');

  for (const name of SERVICES) {
    const cid = (
      await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=minicloud_${name}`] } })
    )[0]?.Id;
    t.ok(cid, `minicloud_${name} runs on the manager`);
    if (!cid) continue;
    const inspect = await docker.getContainer(cid).inspect();
    t.equal(inspect.State.Health?.Status, 'healthy', `minicloud_${name} is healthy`);
  }
  for (const name of SHARED) {
    const row = await serviceRow(`minicloud_${name}`);
    t.equal(row?.Spec?.Mode?.Replicated?.Replicas, 0, `minicloud_${name} is deployed with 0 replicas: no app needs it`);
    const running = await docker.listContainers({
      filters: { label: [`com.docker.swarm.service.name=minicloud_${name}`] },
    });
    t.equal(running.length, 0, `no minicloud_${name} container runs`);
  }
  t.same(
    JSON.parse(readFileSync(`${DATA}/state/services.json`, 'utf8')),
    { version: 1, idle: [...SHARED].sort() },
    'state/services.json says all four are idle',
  );

  for (const name of [
    'admin-token',
    'mariadb-root-password',
    'rabbitmq-password',
    'registry-password',
    'registry-notify-token',
    'registry.htpasswd',
    'registry-config.yml',
  ])
    t.equal(statSync(join(DATA, 'secrets', name)).mode & 0o777, 0o600, `secrets/${name} is 0600`);
  t.equal(statSync(join(DATA, 'pki/ca.key')).mode & 0o777, 0o600, 'pki/ca.key is 0600');
  const secrets = [
    'admin-token',
    'mariadb-root-password',
    'rabbitmq-password',
    'registry-password',
    'registry-notify-token',
  ].map(secret);
  const configFiles = Object.keys(snapshot()).filter((p) => p.startsWith(`${DATA}/config/`));
  t.ok(configFiles.length >= 6, 'the config dir holds the management files');
  t.notOk(
    configFiles.some((p) => secrets.some((s) => readFileSync(p, 'utf8').includes(s))),
    'no secret appears in the config dir (it can be a git repository)',
  );
  t.ok(
    existsSync(`${DATA}/config/management/minicloud.yml`) && existsSync(`${DATA}/config/apps`),
    'config dir has management/ and apps/',
  );

  // Published: only the proxy's 80/443 and the registry's 5443, in host mode.
  for (const name of SERVICES) {
    const ports = ((await serviceRow(`minicloud_${name}`))?.Endpoint?.Ports ?? []).map(
      (p) => `${p.PublishedPort}/${p.PublishMode}`,
    );
    const want = name === 'proxy' ? ['443/host', '80/host'] : name === 'registry' ? ['5443/host'] : [];
    t.same(ports.sort(), want, `minicloud_${name} publishes ${want.join(', ') || 'nothing'}`);
  }
  const services = await docker.listServices({ filters: { label: ['com.docker.stack.namespace=minicloud'] } });
  t.ok(
    services.every((s) => s.Spec?.Labels?.['minicloud.managed'] === 'true'),
    'every service carries minicloud.managed=true',
  );
  for (const net of ['minicloud-proxy', 'minicloud-services']) {
    const info = await docker.getNetwork(net).inspect();
    t.match(
      info,
      { Driver: 'overlay', Attachable: true, Labels: { 'minicloud.managed': 'true' } },
      `${net} is a managed attachable overlay`,
    );
    t.equal(
      info.Internal,
      net === 'minicloud-services',
      `${net} is ${net === 'minicloud-services' ? '' : 'not '}internal`,
    );
  }
  installed = first.code === 0;
});

t.test('the admin API answers over HTTPS through the proxy', async (t) => {
  if (!installed) return t.fail('not installed');
  const health = await https(`admin.${DOMAIN}`, '/health');
  t.equal(health.code, 0, `curl verifies the certificate with the platform CA: ${health.stderr}`);
  t.same(JSON.parse(health.stdout || '{}'), { status: 'ok', version: platformVersion() }, 'GET /health');
  const noToken = await https(`admin.${DOMAIN}`, '/v1/anything', ['-o', '/dev/null', '-w', '%{http_code}']);
  t.equal(noToken.stdout, '401', 'a route without the token is refused');
  const withToken = await https(`admin.${DOMAIN}`, '/v1/anything', [
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-H',
    `Authorization: Bearer ${secret('admin-token')}`,
  ]);
  t.equal(withToken.stdout, '404', 'the admin token is accepted (and the route does not exist)');
  const http = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    `Host: admin.${DOMAIN}`,
    `http://${ADDR}/health`,
  ]);
  t.equal(http.stdout, `301 https://admin.${DOMAIN}/health`, 'plain HTTP redirects to HTTPS');
  const unknown = await https(`nothing.${DOMAIN}`, '/', ['-o', '/dev/null', '-w', '%{http_code}']);
  t.equal(unknown.stdout, '404', 'an unknown host name gets 404 under the wildcard certificate');
});

/** Until the service's container reports healthy (a first start initialises its data dir). */
async function healthy(name: string): Promise<boolean> {
  for (const deadline = Date.now() + 180_000; Date.now() < deadline;) {
    const [c] = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${name}`] } });
    if (c && (await docker.getContainer(c.Id).inspect()).State.Health?.Status === 'healthy') return true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return false;
}

t.test('MariaDB and RabbitMQ answer on the services network only', async (t) => {
  if (!installed) return t.fail('not installed');
  // Idle after install (no app needs them): started by hand for this test, and stopped again
  // after it, so that the idle file stays true for the tests that follow.
  const scale = (n: number) =>
    docker_(['service', 'scale', '--detach', `minicloud_mariadb=${n}`, `minicloud_rabbitmq=${n}`]);
  t.teardown(async () => {
    await scale(0);
    // Gone, not stopping, before the next test counts the stack's containers.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const left = await stackContainers(docker);
      const shared = await Promise.all(
        left.map(
          async (id) => (await docker.getContainer(id).inspect()).Config.Labels['com.docker.swarm.service.name'],
        ),
      );
      if (!shared.some((name) => name === 'minicloud_mariadb' || name === 'minicloud_rabbitmq')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  t.equal((await scale(1)).code, 0, 'scaled to 1');
  t.ok(await healthy('minicloud_mariadb'), 'mariadb becomes healthy');
  t.ok(await healthy('minicloud_rabbitmq'), 'rabbitmq becomes healthy');
  const images = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')).settings.images as Record<
    string,
    string
  >;
  const sql = await docker_([
    'run',
    '--rm',
    '--network',
    'minicloud-services',
    '-e',
    `MYSQL_PWD=${secret('mariadb-root-password')}`,
    '--entrypoint',
    'mariadb',
    images['mariadb']!,
    '-h',
    'mariadb',
    '-uroot',
    '-N',
    '-e',
    'SELECT 40 + 2; SELECT @@performance_schema, @@innodb_buffer_pool_size',
  ]);
  t.equal(sql.code, 0, `root logs in to mariadb:3306 with the generated password ${sql.stderr}`);
  t.match(sql.stdout, /^42\n0\s+33554432\n$/, 'answers, with performance_schema off and a 32M buffer pool');
  const script = `fetch('http://rabbitmq:15672/api/whoami', { headers: { authorization: 'Basic ' + Buffer.from('minicloud:' + process.env.PW).toString('base64') } }).then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(String(e.cause ?? e)); process.exit(1) })`;
  const mq = await docker_([
    'run',
    '--rm',
    '--network',
    'minicloud-services',
    '-e',
    `PW=${secret('rabbitmq-password')}`,
    'minicloud/node:20',
    'node',
    '-e',
    script,
  ]);
  t.match(
    JSON.parse(mq.stdout || '{}'),
    { name: 'minicloud' },
    `the RabbitMQ management API answers to the generated user ${mq.stderr}`,
  );
  const amqp = await curl(['-o', '/dev/null', '-w', '%{http_code}', `http://${ADDR}:15672/`]);
  t.equal(amqp.stdout, '000', 'the management port is not reachable from outside the swarm');
});

t.test('a second run is a no-op', async (t) => {
  if (!installed) return t.fail('not installed');
  const files = snapshot();
  const containers = await stackContainers(docker);
  const second = await install();
  t.equal(second.code, 0, `second install exits 0${second.code ? `: ${second.stderr.slice(-2000)}` : ''}`);
  t.comment(`install, second run: ${second.seconds.toFixed(1)} s`);
  t.match(second.stderr, 'platform init: 0 created, 0 updated, 0 customized', 'platform init changes nothing');
  t.same(snapshot(), files, 'no file of the data dir changed (content, mtime, mode)');
  t.same(await stackContainers(docker), containers, 'no service was restarted');
});

// Right after the install, before any image is pushed (the registry's page cache grows with
// pushes): the platform as a new server runs it. The bench prints each service's memory against
// its target (issue 14: under 100 MiB with no app) and exits 1 above it: a figure for people, not
// a pass/fail of this suite (performance is measured by benchmarks, not timed tests). What is
// tested here is that it measures what it says, with the four shared services idle. Its second
// state (every need kind in use: each service started, measured and stopped again, about three
// minutes) is `npm run bench:footprint` by hand; starting and stopping them on demand is
// needs-postgres-redis.test's.
t.test('bench/footprint: measures the platform as it runs with no app, the shared services idle', async (t) => {
  if (!installed) return t.fail('not installed');
  const bench = await sh('node', [`${REPO}/bench/footprint/run.js`, `--data-dir=${DATA}`, '--as-it-runs'], {
    timeout: 300_000,
  });
  t.comment(bench.stdout.trim());
  t.ok(bench.code === 0 || bench.code === 1, `it ran to the end (exit 0: under the target, 1: over) ${bench.stderr}`);
  t.match(bench.stdout, /total\s+[\d.]+ MiB\s+target: under 100 MiB: (ok|OVER)/, 'a figure with no app');
  t.notMatch(bench.stdout, /with every need kind in use/, 'and nothing started');
  for (const service of SHARED)
    t.match(bench.stdout, new RegExp(`${service}\\s+idle\\n`), `${service} is idle with no app`);
  t.same(
    JSON.parse(readFileSync(`${DATA}/state/services.json`, 'utf8')),
    { version: 1, idle: [...SHARED].sort() },
    'as the idle file says',
  );
});

t.test('with --images=auto and no Docker Hub, install falls back to debian images', async (t) => {
  if (!installed) return t.fail('not installed');
  const detect = await sh(
    'bash',
    [
      '-c',
      `REPO=${REPO}; . ${REPO}/install/lib/common.sh; DOCKER=/usr/bin/docker; . ${REPO}/install/lib/images.sh; detect_images_mode`,
    ],
    {
      env: { MINICLOUD_HUB_PROBE_URL: 'http://127.0.0.1:9/v2/' },
    },
  );
  t.equal(detect.stdout.trim(), 'debian', 'an unreachable Docker Hub means debian mode');
  const containers = await stackContainers(docker);
  const auto = await install({ MINICLOUD_HUB_PROBE_URL: 'http://127.0.0.1:9/v2/' }, [
    ...INSTALL.filter((a) => !a.startsWith('--images')),
    '--images=auto',
  ]);
  t.equal(auto.code, 0, `install exits 0${auto.code ? `: ${auto.stderr.slice(-2000)}` : ''}`);
  t.match(auto.stderr, 'Docker Hub cannot be reached', 'says why');
  t.match(auto.stderr, 'images: debian', 'and uses the debian images');
  t.same(await stackContainers(docker), containers, 'which are the installed ones: nothing restarts');
});

let workerId = '';

t.test('a worker joins with join-worker.sh', async (t) => {
  if (!installed) return t.fail('not installed');
  const up = await sh('bash', [`${REPO}/test/engine/worker-node.sh`, 'up'], { timeout: 180_000 });
  t.equal(up.code, 0, `a bare second machine (netns mc-test-w2, own dockerd) is up ${up.stderr}`);
  const command = await sh(CLI, ['node', 'join-command']);
  t.equal(command.code, 0, `minicloud node join-command ${command.stderr}`);
  t.match(command.stdout, /sha256sum -c[\s\S]*--ca-sha256 [0-9a-f]{64}/, 'pins the script and the CA by their sha256');
  const work = mkdtempSync(join(tmpdir(), 'minicloud-join-'));
  // What a person does on the new node: paste the printed command (here, in its namespace).
  const join1 = await sh(
    'nsenter',
    ['--net=/var/run/netns/mc-test-w2', 'bash', '-c', `cd ${work} && ${command.stdout}`],
    {
      env: { DOCKER_HOST: W2_HOST },
    },
  );
  t.equal(join1.code, 0, `the printed command joins: ${join1.stderr.slice(-1500)}`);
  workerId = (await docker_(['info', '--format', '{{.Swarm.NodeID}}'], W2_HOST)).stdout.trim();
  const state = await waitFor('mc-w2 to be Ready', async () => {
    const node = await docker.getNode(workerId).inspect();
    return node.Status?.State === 'ready' ? node : undefined;
  });
  t.match(
    state,
    { Spec: { Role: 'worker' }, Description: { Hostname: 'mc-w2' } },
    'the manager lists mc-w2 as a ready worker',
  );
  t.equal(
    readFileSync(`/etc/docker/certs.d/${REGISTRY}/ca.crt`, 'utf8'),
    readFileSync(`${DATA}/pki/ca.crt`, 'utf8'),
    'the node trusts the platform CA for the registry',
  );
  // Its node agent (exec and stats there) comes from the platform's registry, with the
  // credentials the service was given at install: the worker has no management image.
  const agent = await waitFor(
    'the node agent running on mc-w2',
    async () => {
      const tasks = (await docker.listTasks({
        filters: { service: ['minicloud_node-agent'], node: [workerId], 'desired-state': ['running'] },
      })) as { Status?: { State?: string } }[];
      return tasks.find((k) => k.Status?.State === 'running');
    },
    120_000,
  );
  t.ok(agent, 'the node agent runs on the new worker');
  const again = await sh(
    'nsenter',
    ['--net=/var/run/netns/mc-test-w2', 'bash', '-c', `cd ${work} && ${command.stdout}`],
    {
      env: { DOCKER_HOST: W2_HOST },
    },
  );
  t.match(again.stderr, 'already a member of the swarm', 'running it again changes nothing');
  const wrongCa = await sh(
    'bash',
    [
      `${DATA}/public/join-worker.sh`,
      '--manager',
      `${ADDR}:2377`,
      '--token',
      'SWMTKN-1-x',
      '--registry',
      REGISTRY,
      '--ca-sha256',
      '0'.repeat(64),
    ],
    {
      env: { DOCKER_HOST: W2_HOST, MINICLOUD_REGISTRY_PASSWORD: 'x' },
    },
  );
  t.match(
    wrongCa.stderr,
    /sha256 is [0-9a-f]{64}, not 0{64}: not installing it/,
    'a CA that does not match its pinned hash is refused',
  );
  rmSync(work, { recursive: true, force: true });
});

t.test('an image pushed with minicloud push runs on the worker from the registry, behind the proxy', async (t) => {
  if (!installed || !workerId) return t.fail('no worker');
  const ref = `${REGISTRY}/platform-test/hello:1`;
  const push = await sh(CLI, ['push', 'minicloud/testapp:1', '--name', 'platform-test/hello:1']);
  t.equal(push.code, 0, `minicloud push ${push.stderr}`);
  t.match(push.stdout, `pushed ${ref}@sha256:`, 'prints what it pushed');
  t.not((await docker_(['image', 'inspect', ref], W2_HOST)).code, 0, 'the worker does not have the image yet');

  const create = await docker_([
    'service',
    'create',
    '--detach',
    '--with-registry-auth',
    '--name',
    'mc-platform-hello',
    '--label',
    'minicloud.managed=true',
    '--constraint',
    `node.id==${workerId}`,
    '--network',
    'minicloud-proxy',
    '--endpoint-mode',
    env.endpointMode,
    ref,
  ]);
  t.equal(create.code, 0, `docker service create --with-registry-auth ${create.stderr}`);
  const task = await waitFor(
    'the service to run on mc-w2',
    async () => {
      const tasks = await docker.listTasks({
        filters: { service: ['mc-platform-hello'], 'desired-state': ['running'] },
      });
      const running = tasks.find((x) => x.Status?.State === 'running');
      if (running) return running;
      throw new Error(tasks.map((x) => `${x.Status?.State} ${x.Status?.Err ?? ''}`).join('; '));
    },
    120_000,
  );
  t.equal(task.NodeID, workerId, 'the task runs on the new worker');
  // Swarm pulls by digest (repository@sha256:...), so the worker's copy has no tag.
  const pulled = await docker_(['image', 'ls', '--digests', '--format', '{{.Repository}}@{{.Digest}}'], W2_HOST);
  t.match(pulled.stdout, `${REGISTRY}/platform-test/hello@sha256:`, 'which pulled the image from the registry');

  // The proxy routes a host name to it, as issue 5's generated vhosts will.
  writeFileSync(
    `${DATA}/config/management/proxy/conf.d/mc-platform-hello.conf`,
    `server {\n  listen 443 ssl http2;\n  server_name hello.${DOMAIN};\n  location / {\n    set $upstream http://mc-platform-hello:80;\n    proxy_pass $upstream;\n  }\n}\n`,
  );
  const proxy = (
    await docker.listContainers({ filters: { label: ['com.docker.swarm.service.name=minicloud_proxy'] } })
  )[0]!.Id;
  const reload = await docker_(['exec', proxy, 'nginx', '-s', 'reload', '-c', '/etc/nginx/minicloud/nginx.conf']);
  t.equal(reload.code, 0, `nginx reloads ${reload.stderr}`);
  const body = await waitFor('the app through the proxy', async () => {
    const r = await https(`hello.${DOMAIN}`, '/');
    return r.stdout.startsWith('{') ? r.stdout : undefined;
  });
  t.match(
    JSON.parse(body),
    { app: 'hello', version: '1' },
    `https://hello.${DOMAIN}/ is served by the app on the worker`,
  );
});

t.test('an unauthenticated push is refused', async (t) => {
  if (!installed) return t.fail('not installed');
  const empty = mkdtempSync(join(tmpdir(), 'minicloud-noauth-'));
  await docker_(['tag', 'minicloud/testapp:2', `${REGISTRY}/platform-test/anonymous:1`]);
  const push = await sh('/usr/bin/docker', ['push', `${REGISTRY}/platform-test/anonymous:1`], {
    env: { DOCKER_CONFIG: empty },
  });
  t.not(push.code, 0, 'docker push without login fails');
  t.match(
    push.stdout + push.stderr,
    /no basic auth credentials|unauthorized|authentication required/,
    'with an authentication error',
  );
  await docker_(['rmi', `${REGISTRY}/platform-test/anonymous:1`]);
  const anon = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    `${DATA}/pki/ca.crt`,
    `https://${REGISTRY}/v2/`,
  ]);
  t.equal(anon.stdout, '401', 'the registry API wants credentials');
  const wrong = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    `${DATA}/pki/ca.crt`,
    '-u',
    'minicloud:wrong',
    `https://${REGISTRY}/v2/`,
  ]);
  t.equal(wrong.stdout, '401', 'and refuses a wrong password');
  const right = await curl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    `${DATA}/pki/ca.crt`,
    '-u',
    `minicloud:${secret('registry-password')}`,
    `https://${REGISTRY}/v2/`,
  ]);
  t.equal(right.stdout, '200', 'and accepts the platform credentials');
  rmSync(empty, { recursive: true, force: true });
});

t.test('registry ls shows sizes; registry gc keeps deployed images and frees the rest', async (t) => {
  if (!installed) return t.fail('not installed');
  // An image that shares no layer with the others: 4 MiB of random bytes, which no
  // compression shrinks, so its deletion must free at least that much.
  const random = mkdtempSync(join(tmpdir(), 'minicloud-random-'));
  writeFileSync(join(random, 'noise'), randomBytes(4 * 1024 * 1024));
  const imported = await sh('bash', ['-c', `tar -C ${random} -c . | /usr/bin/docker import - minicloud-test/random:1`]);
  t.equal(imported.code, 0, `docker import ${imported.stderr}`);
  rmSync(random, { recursive: true, force: true });
  for (const [image, name] of [
    ['minicloud/testapp:2', 'platform-test/hello:2'],
    ['minicloud-test/random:1', 'platform-test/random:1'],
  ] as const) {
    const push = await sh(CLI, ['push', image, '--name', name]);
    t.equal(push.code, 0, `push ${name} ${push.stderr}`);
  }
  const ls = await sh(CLI, ['registry', 'ls', '--json']);
  const listing = JSON.parse(ls.stdout || '{}') as {
    tags: { repo: string; tag: string; size: number }[];
    totalBytes: number;
  };
  const tags = listing.tags.map((x) => `${x.repo}:${x.tag}`);
  t.ok(
    ['platform-test/hello:1', 'platform-test/hello:2', 'platform-test/random:1'].every((x) => tags.includes(x)),
    'lists every pushed tag',
  );
  t.ok(
    listing.tags.every((x) => x.size > 1_000_000),
    'with its size',
  );
  const table = await sh(CLI, ['registry', 'ls']);
  t.match(table.stdout, /platform-test\/hello\s+1\s+sha256:\S+\s+.+MiB/, 'the table shows sizes');
  t.match(table.stdout, /\d+ repositories, \d+ tags, [\d.]+ MiB stored/, 'and the disk use');

  const du = () => duKiB(`${DATA}/registry`);
  const before = du();
  const gc = await sh(CLI, ['registry', 'gc', '--keep', '0']);
  t.equal(gc.code, 0, `registry gc ${gc.stderr}`);
  t.match(gc.stdout, /keep\s+platform-test\/hello@\S+ 1 \(deployed\)/, 'keeps the image a service runs');
  t.match(gc.stdout, /deleted platform-test\/hello@\S+ 2/, 'deletes the one nothing runs');
  t.match(gc.stdout, /deleted platform-test\/random@\S+ 1/, 'and the never-deployed one');
  const after = JSON.parse((await sh(CLI, ['registry', 'ls', '--json'])).stdout || '{}') as typeof listing;
  t.same(
    after.tags.filter((x) => x.repo.startsWith('platform-test/')).map((x) => `${x.repo}:${x.tag}`),
    ['platform-test/hello:1'],
    'only the deployed tag is left',
  );
  t.ok(
    after.totalBytes < listing.totalBytes - 4_000_000,
    `the registry stores less: ${listing.totalBytes} -> ${after.totalBytes} bytes`,
  );
  t.ok(du() < before - 4000, `and frees disk space: ${before} -> ${du()} KiB`);
  await docker_(['rmi', 'minicloud-test/random:1', `${REGISTRY}/platform-test/random:1`]);
  const still = await docker.listTasks({ filters: { service: ['mc-platform-hello'], 'desired-state': ['running'] } });
  t.ok(
    still.some((x) => x.Status?.State === 'running'),
    'the deployed app still runs',
  );
});

/** Bytes under dir, in KiB, as `du --apparent-size` counts them. */
function duKiB(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return Math.round(total / 1024);
}

t.test('uninstall.sh keeps the data dir; --purge deletes it', async (t) => {
  if (!installed) return t.fail('not installed');
  await docker_(['service', 'rm', 'mc-platform-hello']);
  rmSync(`${DATA}/config/management/proxy/conf.d/mc-platform-hello.conf`, { force: true });
  const token = secret('admin-token');
  const keep = await sh('bash', [`${REPO}/install/uninstall.sh`, `--data-dir=${DATA}`], { timeout: 300_000 });
  t.equal(keep.code, 0, `uninstall exits 0 ${keep.stderr}`);
  t.same(await stackContainers(docker), [], 'the management stack is gone');
  t.equal(secret('admin-token'), token, 'the data dir (secrets, config, data) is kept');
  t.notOk(existsSync(`/etc/docker/certs.d/${REGISTRY}/ca.crt`), 'the registry trust is removed');
  t.notOk(existsSync(CLI), 'and the minicloud command');
  const purge = await sh('bash', [`${REPO}/install/uninstall.sh`, `--data-dir=${DATA}`, '--purge'], {
    timeout: 300_000,
  });
  t.equal(purge.code, 0, `uninstall --purge exits 0 ${purge.stderr}`);
  t.notOk(existsSync(DATA), 'the data dir is deleted');
});
