import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import {
  composeFromText,
  DNS_FALLBACK_SOCKET,
  certificateInfo,
  certificateProblem,
  certificateRequests,
  createCa,
  htpasswdLine,
  htpasswdMatches,
  initPlatform,
  issueCertificate,
  nextDailySlot,
  startDailyTimer,
  loadPlatformSettings,
  keyMatchesCertificate,
  loadTemplates,
  MinicloudError,
  parseImageRef,
  planRegistryGc,
  platformSettings,
  pushTarget,
  renderManagementFiles,
  restartFor,
  REDIS_CONFIG,
  REDIS_START_SCRIPT,
  Sensitive,
  shellQuote,
  signedBy,
  workerJoinCommand,
  type PlatformSettings,
  type TagInfo,
} from '@minicloud/core';

// The pure half of issue 4 (settings, templates, certificates, htpasswd, the registry
// clean-up plan, push targets, the join command) and platform init on a temporary dir.

const images = {
  proxy: 'minicloud/nginx:bookworm-abc',
  registry: 'minicloud/registry:2-abc',
  mariadb: 'minicloud/mariadb:bookworm-abc',
  rabbitmq: 'minicloud/rabbitmq:bookworm-abc',
  api: 'minicloud/api:0.1.0-abc',
};

function settings(over: Partial<PlatformSettings> = {}): PlatformSettings {
  return platformSettings({
    dataDir: '/data/minicloud',
    domain: 'example.com',
    registryAddr: '10.0.0.5:5443',
    endpointMode: 'dnsrr',
    imagesMode: 'debian',
    images,
    ...over,
  });
}

t.test('platform settings: defaults, and every value that reaches YAML, nginx or a shell is checked', async (t) => {
  const s = platformSettings({ dataDir: '/data/minicloud', registryAddr: '10.0.0.5:5443', images });
  t.match(s, {
    domain: 'minicloud.localhost',
    endpointMode: 'vip',
    imagesMode: 'hub',
    registryUser: 'minicloud',
    registryKeep: 3,
    engineSocket: '/var/run/docker.sock',
  });
  const bad: [Partial<PlatformSettings>, string][] = [
    [{ domain: 'example.com\nserver_name evil' }, 'domain'],
    [{ domain: 'example.com; return 200' }, 'domain'],
    [{ domain: 'Example.com' }, 'domain'],
    [{ domain: 'localhost' }, 'domain'],
    [{ domain: 'a"b.com' }, 'domain'],
    [{ dataDir: '/data/mini cloud' }, 'dataDir'],
    [{ dataDir: '/data/../etc' }, 'dataDir'],
    [{ dataDir: 'data' }, 'dataDir'],
    [{ dataDir: '/data/$(id)' }, 'dataDir'],
    [{ registryAddr: '10.0.0.5' }, 'registryAddr'],
    [{ registryAddr: '10.0.0.5:99999' }, 'registryAddr'],
    [{ registryAddr: 'host name:5443' }, 'registryAddr'],
    [{ images: { ...settings().images, api: 'x:1"; rm -rf /' } }, 'images.api'],
    [{ registryUser: 'Root:x' }, 'registryUser'],
    [{ registryKeep: -1 }, 'registryKeep'],
    [{ engineSocket: 'docker.sock' }, 'engineSocket'],
    [{ engineSocket: '/run/a b.sock' }, 'engineSocket'],
    [{ engineSocket: '/run/../etc/shadow' }, 'engineSocket'],
    [{ nodeSocket: 'docker.sock' }, 'nodeSocket'],
    [{ nodeSocket: '/run/../etc/shadow' }, 'nodeSocket'],
    [{ nodeAgentImage: 'x y' }, 'nodeAgentImage'],
  ];
  for (const [over, path] of bad) {
    t.throws(
      () => settings(over),
      { code: 'MC_PLATFORM_INVALID', details: [{ path }] },
      `${JSON.stringify(over)} is refused`,
    );
  }
});

t.test('the rendered stack passes compose interpolation, as docker stack deploy reads it', async (t) => {
  const files = renderManagementFiles(await loadTemplates(), settings());
  // A lone $ (an nginx variable, a regex anchor) is refused by `docker stack deploy`; $$ is one $.
  const loaded = composeFromText(files['minicloud.yml']!, 'minicloud.yml', {});
  const agent = loaded.services['node-agent'] as unknown as { environment: Record<string, string> };
  const conf = agent.environment['NODE_AGENT_CONF']!;
  t.match(conf, /if \(\$http_x_minicloud_agent_token != "@TOKEN@"\) \{ return 401; \}/);
  t.match(conf, /\|exec\/\[0-9a-f\]\+\/json\)\$ \{/, 'the location patterns end in one $');
  t.notMatch(conf, /\$\$/, 'no doubled $ is left');
});

t.test('the management stack template renders into a valid stack', async (t) => {
  const files = renderManagementFiles(await loadTemplates(), settings());
  t.same(Object.keys(files).sort(), [
    'mariadb/minicloud.cnf',
    'minicloud.yml',
    'postgres/pg_hba.conf',
    'postgres/postgresql.conf',
    'proxy/conf.d/.gitignore',
    'proxy/conf.d/00-default.conf',
    'proxy/conf.d/admin.conf',
    'proxy/nginx.conf',
    'rabbitmq/minicloud.conf',
    'redis/minicloud-start.sh',
    'redis/minicloud.conf',
  ]);
  t.equal(files['redis/minicloud.conf'], REDIS_CONFIG, "redis's config is its need kind's, as it is");
  t.equal(files['redis/minicloud-start.sh'], REDIS_START_SCRIPT);
  t.match(
    files['proxy/conf.d/00-default.conf'],
    `listen unix:${DNS_FALLBACK_SOCKET} default_server;`,
    'the default server on the socket the apps fall back to',
  );
  for (const [name, text] of Object.entries(files)) t.notMatch(text, /\{\{/, `${name}: every placeholder is filled`);
  const stack = yaml.load(files['minicloud.yml']!) as {
    services: Record<
      string,
      {
        image: string;
        healthcheck?: { test: string[] };
        deploy: {
          labels: Record<string, string>;
          placement?: { constraints: string[] };
          endpoint_mode?: string;
          mode?: string;
          resources: { limits: { memory: string } };
        };
        ports?: { published: number; mode: string }[];
        networks: unknown;
        volumes?: string[];
      }
    >;
    networks: Record<string, { external?: boolean; name?: string; driver?: string; internal?: boolean }>;
    secrets: Record<string, { file: string }>;
  };
  // No registry-gc service: the daily clean-up runs in the API (a job service showed as 0/1).
  t.same(Object.keys(stack.services).sort(), [
    'api',
    'mariadb',
    'node-agent',
    'postgres',
    'proxy',
    'rabbitmq',
    'redis',
    'registry',
  ]);
  const want: Record<string, string> = {
    ...images,
    postgres: 'minicloud/postgres:bookworm',
    redis: 'minicloud/redis:bookworm',
  };
  for (const name of ['proxy', 'registry', 'mariadb', 'rabbitmq', 'postgres', 'redis', 'api']) {
    const svc = stack.services[name]!;
    t.equal(svc.image, want[name], `${name} runs the image it was given (postgres, redis: the mode's default)`);
    t.ok(svc.healthcheck?.test.length, `${name} has a healthcheck`);
    t.equal(svc.deploy.endpoint_mode, 'dnsrr', `${name} uses the endpoint mode`);
  }
  for (const [name, svc] of Object.entries(stack.services)) {
    t.equal(svc.deploy.labels['minicloud.managed'], 'true', `${name} carries minicloud.managed`);
    if (name === 'node-agent') continue;
    t.same(svc.deploy.placement?.constraints, ['node.role == manager'], `${name} runs on the manager`);
  }
  // The node agent: one task on every node, on that node's own engine, reachable only on the
  // internal network it shares with the API alone.
  const agent = stack.services['node-agent']!;
  t.equal(agent.deploy.mode, 'global', 'one node agent per node');
  t.notOk(agent.deploy.placement, 'the node agent is not pinned to the manager');
  t.same(agent.volumes, ['/var/run/docker.sock:/var/run/docker.sock'], "the agent mounts the node's own socket");
  t.same(agent.networks, ['agents'], 'the agent is on the agents network only');
  t.notOk(agent.ports, 'the agent publishes nothing');
  const onAgents = Object.entries(stack.services)
    .filter(([, svc]) => JSON.stringify(svc.networks).includes('agents'))
    .map(([name]) => name);
  t.same(onAgents.sort(), ['api', 'node-agent'], 'only the API joins the agents network');
  t.match(
    String((agent as unknown as { environment: Record<string, string> }).environment['NODE_AGENT_CONF']),
    /if \(\$\$http_x_minicloud_agent_token != "@TOKEN@"\) \{ return 401; \}/,
  );
  const limit = (s: { deploy: { resources: { limits: { memory: string } } } }) =>
    Number(s.deploy.resources.limits.memory.replace(/M$/, ''));
  const mib = Object.entries(stack.services)
    .filter(([name]) => name !== 'node-agent')
    .reduce((sum, [, s]) => sum + limit(s), 0);
  t.ok(mib <= 1024, `the manager's services' memory limits add up to ${mib} MiB`);
  t.ok(limit(agent) <= 24, `a node agent is limited to ${limit(agent)} MiB`);
  t.same(
    stack.services['proxy']!.ports!.map((p) => `${p.published}/${p.mode}`),
    ['80/host', '443/host'],
  );
  t.same(
    stack.services['registry']!.ports!.map((p) => `${p.published}/${p.mode}`),
    ['5443/host'],
  );
  t.notOk(
    stack.services['mariadb']!.ports ?? stack.services['rabbitmq']!.ports,
    'MariaDB and RabbitMQ publish nothing',
  );
  t.same(stack.networks, {
    proxy: { external: true, name: 'minicloud-proxy' },
    services: { external: true, name: 'minicloud-services' },
    agents: { driver: 'overlay', internal: true },
  });
  t.ok(
    Object.values(stack.secrets).every((s) => s.file.startsWith('/data/minicloud/secrets/')),
    'secrets come from files under the data dir',
  );
  t.match(files['proxy/nginx.conf'], /resolver 127\.0\.0\.11 valid=5s/);
  t.match(files['proxy/nginx.conf'], /include \/etc\/nginx\/minicloud\/conf\.d\/\*\.conf;/);
  t.match(
    files['proxy/conf.d/admin.conf'],
    /server_name admin\.example\.com;[\s\S]*set \$upstream http:\/\/minicloud_api:8080;\s+proxy_pass \$upstream;/,
  );
  t.throws(
    () => renderManagementFiles({ 'minicloud.yml': 'x: {{nope}}' }, settings()),
    { code: 'MC_PLATFORM_INVALID' },
    'an unknown placeholder is an error',
  );
});

t.test("the API mounts the engine's socket the platform was installed with", async (t) => {
  const mounts = async (over: Partial<PlatformSettings>) => {
    const files = renderManagementFiles(await loadTemplates(), settings(over));
    const stack = yaml.load(files['minicloud.yml']!) as { services: Record<string, { volumes?: string[] }> };
    return ['api'].map((s) => stack.services[s]!.volumes!.find((v) => v.endsWith(':/var/run/docker.sock')));
  };
  t.same(await mounts({}), ['/var/run/docker.sock:/var/run/docker.sock'], "Docker's default");
  t.same(
    await mounts({ engineSocket: '/var/lib/minicloud-test/hosts/mgr/docker.sock' }),
    ['/var/lib/minicloud-test/hosts/mgr/docker.sock:/var/run/docker.sock'],
    'a second engine on the same machine',
  );
  const agentMount = async (over: Partial<PlatformSettings>) => {
    const files = renderManagementFiles(await loadTemplates(), settings(over));
    const stack = yaml.load(files['minicloud.yml']!) as { services: Record<string, { volumes?: string[] }> };
    return stack.services['node-agent']!.volumes;
  };
  t.same(
    await agentMount({
      engineSocket: '/var/lib/minicloud-test/hosts/mgr/docker.sock',
      nodeSocket: '/x/this-node/docker.sock',
    }),
    ['/x/this-node/docker.sock:/var/run/docker.sock'],
    "the node agents mount each node's own socket, not the manager's",
  );
  const agentImage = async (over: Partial<PlatformSettings>) => {
    const files = renderManagementFiles(await loadTemplates(), settings(over));
    return (yaml.load(files['minicloud.yml']!) as { services: Record<string, { image: string }> }).services[
      'node-agent'
    ]!.image;
  };
  t.equal(await agentImage({}), settings().images.proxy, "without one pushed: the proxy's image");
  t.equal(
    await agentImage({ nodeAgentImage: '10.0.0.5:5443/minicloud/node-agent:0123456789ab' }),
    '10.0.0.5:5443/minicloud/node-agent:0123456789ab',
    'the one in the registry, which workers can pull',
  );
});

t.test('a platform.json written before engineSocket and nodeSocket existed loads with the defaults', async (t) => {
  const dir = t.testdir({});
  await initPlatform(settings({ dataDir: dir }));
  const file = join(dir, 'config/platform.json');
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as { settings: Record<string, unknown> };
  delete recorded.settings['engineSocket'];
  delete recorded.settings['nodeSocket'];
  writeFileSync(file, JSON.stringify(recorded));
  t.equal((await loadPlatformSettings(dir)).engineSocket, '/var/run/docker.sock');
  t.equal((await loadPlatformSettings(dir)).nodeSocket, '/var/run/docker.sock');
  delete recorded.settings['nodeAgentImage'];
  writeFileSync(file, JSON.stringify(recorded));
  t.equal((await loadPlatformSettings(dir)).nodeAgentImage, '', "no agent image recorded: the proxy's");
});

t.test("ACME settings: off by default, Let's Encrypt when only the e-mail is given, bad values refused", async (t) => {
  t.match(settings(), { acmeEmail: '', acmeDirectory: '', acmeCaFile: '' }, 'off');
  t.match(settings({ acmeEmail: 'ops@example.com' }), {
    acmeEmail: 'ops@example.com',
    acmeDirectory: 'https://acme-v02.api.letsencrypt.org/directory',
  });
  const staging = 'https://acme-staging-v02.api.letsencrypt.org/directory';
  t.match(settings({ acmeEmail: 'ops@example.com', acmeDirectory: staging }), { acmeDirectory: staging });
  const dataDir = settings().dataDir;
  t.match(settings({ acmeEmail: 'ops@example.com', acmeCaFile: `${dataDir}/config/acme/ca.pem` }), {
    acmeCaFile: `${dataDir}/config/acme/ca.pem`,
  });
  const bad: [Partial<PlatformSettings>, string][] = [
    [{ acmeEmail: 'not an address' }, 'acmeEmail'],
    [{ acmeEmail: 'a@b.com"; rm -rf /' }, 'acmeEmail'],
    [{ acmeEmail: 'ops@example.com', acmeDirectory: 'http://acme.example.com/dir' }, 'acmeDirectory'],
    [{ acmeEmail: 'ops@example.com', acmeDirectory: 'https://acme.example.com/dir x' }, 'acmeDirectory'],
    [{ acmeDirectory: staging }, 'acmeDirectory'],
    [{ acmeEmail: 'ops@example.com', acmeCaFile: '/etc/ssl/ca.pem' }, 'acmeCaFile'],
    [{ acmeEmail: 'ops@example.com', acmeCaFile: `${dataDir}/../ca.pem` }, 'acmeCaFile'],
    [{ acmeCaFile: `${dataDir}/config/acme/ca.pem` }, 'acmeCaFile'],
  ];
  for (const [over, path] of bad) {
    t.throws(
      () => settings(over),
      { code: 'MC_PLATFORM_INVALID', details: [{ path }] },
      `${JSON.stringify(over)} is refused`,
    );
  }
});

t.test(
  'a platform.json written before ACME existed loads with ACME off; init gives admin its own certificate',
  async (t) => {
    const dir = t.testdir({});
    await initPlatform(settings({ dataDir: dir }));
    const file = join(dir, 'config/platform.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { settings: Record<string, unknown> };
    for (const key of ['acmeEmail', 'acmeDirectory', 'acmeCaFile']) delete recorded.settings[key];
    writeFileSync(file, JSON.stringify(recorded));
    t.match(await loadPlatformSettings(dir), { acmeEmail: '', acmeDirectory: '', acmeCaFile: '' });
    const s = settings({ dataDir: dir });
    const adminCert = join(dir, `pki/proxy/domains/admin.${s.domain}/tls.crt`);
    t.equal(
      readFileSync(adminCert, 'utf8'),
      readFileSync(join(dir, 'pki/proxy/tls.crt'), 'utf8'),
      "a copy of the proxy's",
    );
    writeFileSync(adminCert, 'the API put another here');
    await initPlatform(s);
    t.equal(readFileSync(adminCert, 'utf8'), 'the API put another here', 'a later init keeps what is there');
    const admin = renderManagementFiles(await loadTemplates(), s)['proxy/conf.d/admin.conf']!;
    t.match(admin, `ssl_certificate /etc/nginx/tls/domains/admin.${s.domain}/tls.crt;`);
    const defaults = renderManagementFiles(await loadTemplates(), s)['proxy/conf.d/00-default.conf']!;
    t.match(defaults, /location \/\.well-known\/acme-challenge\/ \{\n\s+set \$upstream http:\/\/minicloud_api:8080;/);
  },
);

t.test('the daily timer: the next slot is always in the future, and a run re-arms it', async (t) => {
  t.same(nextDailySlot(240, new Date('2026-11-26T03:59:00Z')), new Date('2026-11-26T04:00:00Z'));
  t.same(nextDailySlot(240, new Date('2026-11-26T04:00:00Z')), new Date('2026-11-27T04:00:00Z'), 'not at once');
  t.same(nextDailySlot(240, new Date('2026-11-26T23:00:00Z')), new Date('2026-11-27T04:00:00Z'));
  let clock = new Date('2026-11-26T12:00:00Z');
  const armed: { fn: () => void; ms: number }[] = [];
  const cleared: number[] = [];
  let runs = 0;
  const timer = startDailyTimer(
    async () => {
      runs += 1;
      if (runs === 1) throw new Error('a failing run waits for the next slot');
    },
    {
      now: () => clock,
      setTimer: (fn, ms) => armed.push({ fn, ms }),
      clearTimer: (handle) => cleared.push(handle as number),
    },
  );
  t.equal(armed[0]!.ms, 16 * 3_600_000, 'first run at 04:00 the next day');
  clock = new Date('2026-11-27T04:00:00Z');
  armed[0]!.fn();
  await new Promise((r) => setImmediate(r));
  t.equal(runs, 1);
  t.equal(armed[1]!.ms, 24 * 3_600_000, 're-armed for the day after, though the run failed');
  timer.stop();
  t.same(cleared, [2], 'stop clears the armed timer (push() returned its handle, 2)');
});

t.test('certificates: the CA signs the proxy and registry certificates; problems are named', async (t) => {
  const now = new Date('2030-01-01T00:00:00Z');
  const ca = createCa(now);
  t.match(certificateInfo(ca.cert), { isCa: true, commonName: 'minicloud platform CA' });
  const requests = certificateRequests(settings());
  const registry = issueCertificate(ca, requests.registry, now);
  t.match(certificateInfo(registry.cert), {
    isCa: false,
    issuer: 'minicloud platform CA',
    ips: ['10.0.0.5', '127.0.0.1'],
    dnsNames: ['registry', 'localhost'],
  });
  t.ok(signedBy(registry.cert, ca.cert), 'signed by the CA');
  t.ok(keyMatchesCertificate(registry.cert, registry.key));
  t.equal(String(registry.key), '[redacted]', 'keys travel as Sensitive');
  t.same(requests.proxy.dnsNames, ['example.com', '*.example.com', 'admin.example.com']);
  const ok = { cert: registry.cert, key: registry.key };
  t.equal(certificateProblem(ok, requests.registry, ca.cert, now), undefined, 'a fitting certificate stays');
  t.equal(certificateProblem({}, requests.registry, ca.cert, now), 'missing');
  t.equal(certificateProblem(ok, requests.registry, createCa(now).cert, now), 'not signed by the platform CA');
  t.equal(
    certificateProblem(
      { cert: registry.cert, key: issueCertificate(ca, requests.registry, now).key },
      requests.registry,
      ca.cert,
      now,
    ),
    'key does not match',
  );
  t.equal(
    certificateProblem(ok, certificateRequests(settings({ registryAddr: '10.0.0.6:5443' })).registry, ca.cert, now),
    'does not cover 10.0.0.6',
  );
  t.match(
    certificateProblem(ok, requests.registry, ca.cert, new Date('2031-01-20T00:00:00Z')),
    /^expires /,
    'renewed within 30 days of its end',
  );
  const openssl = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName,basicConstraints'], {
    input: registry.cert,
  }).toString();
  t.match(openssl, /IP Address:10\.0\.0\.5/, 'openssl reads the SANs');
});

t.test('htpasswd lines are bcrypt, as the registry wants', async (t) => {
  const pw = new Sensitive('s3cret');
  const line = htpasswdLine('minicloud', pw, 4);
  t.match(line, /^minicloud:\$2[aby]\$04\$/);
  t.ok(htpasswdMatches(`${line}\n`, 'minicloud', pw));
  t.notOk(htpasswdMatches(line, 'minicloud', new Sensitive('wrong')));
  t.notOk(htpasswdMatches(line, 'other', pw));
  t.notOk(htpasswdMatches('minicloud:{SHA}x', 'minicloud', pw));
});

t.test('registry gc plan: keeps deployed and the newest others, deletes the rest by digest', async (t) => {
  const blob = (d: string, size: number) => ({ digest: `sha256:${d.repeat(64).slice(0, 64)}`, size });
  const base = blob('b', 50);
  const tag = (repo: string, tag: string, digest: string, created: string, own: number): TagInfo => ({
    repo,
    tag,
    digest: `sha256:${digest.repeat(64).slice(0, 64)}`,
    created,
    blobs: [base, blob(digest, own)],
  });
  const tags = [
    tag('web', '1', '1', '2030-01-01', 10),
    tag('web', '2', '2', '2030-01-02', 20),
    tag('web', '3', '3', '2030-01-03', 30),
    tag('web', 'latest', '3', '2030-01-03', 30),
    tag('web', '4', '4', '2030-01-04', 40),
    tag('api', '1', '5', '2030-01-01', 5),
  ];
  const d = (x: string) => `sha256:${x.repeat(64).slice(0, 64)}`;
  const plan = planRegistryGc(tags, [{ repo: 'web', digest: d('2') }], 1);
  t.same(
    plan.keep.map((k) => `${k.repo}:${k.tags.join(',')}:${k.reason}`),
    ['api:1:recent', 'web:2:deployed', 'web:4:recent'],
  );
  t.same(
    plan.delete.map((k) => `${k.repo}:${k.tags.join(',')}`),
    ['web:3,latest', 'web:1'],
    'a digest goes with all its tags, oldest last',
  );
  t.equal(plan.freedBytes, 40, 'only blobs no kept image uses are freed; the shared base stays');
  t.same(
    planRegistryGc(tags, [{ repo: 'web', tag: 'latest' }], 0).keep.map((k) => k.tags.join(',')),
    ['3,latest'],
    'a service by tag keeps that tag',
  );
  t.equal(planRegistryGc(tags, [], 10).delete.length, 0, 'keep 10 deletes nothing here');
  t.same(planRegistryGc([], [], 3), { keep: [], delete: [], freedBytes: 0 });
});

t.test('image references and push targets', async (t) => {
  t.same(parseImageRef('nginx'), { host: 'docker.io', path: 'nginx' });
  t.same(parseImageRef('10.0.0.5:5443/apps/web:1.2'), { host: '10.0.0.5:5443', path: 'apps/web', tag: '1.2' });
  t.same(parseImageRef(`localhost/x@sha256:${'a'.repeat(64)}`), {
    host: 'localhost',
    path: 'x',
    digest: `sha256:${'a'.repeat(64)}`,
  });
  t.equal(parseImageRef('UPPER/case'), undefined);
  t.equal(parseImageRef('a b'), undefined);
  t.same(pushTarget('myapp:1', '10.0.0.5:5443'), { host: '10.0.0.5:5443', path: 'myapp', tag: '1' });
  t.same(pushTarget('ghcr.io/me/app', '10.0.0.5:5443'), { host: '10.0.0.5:5443', path: 'me/app', tag: 'latest' });
  t.same(pushTarget('library/nginx:1', '10.0.0.5:5443', 'web'), { host: '10.0.0.5:5443', path: 'web', tag: '1' });
  t.same(pushTarget('x:1', 'r:1', 'apps/y:2'), { host: 'r:1', path: 'apps/y', tag: '2' });
  t.throws(() => pushTarget('x;rm', 'r:1'), { code: 'MC_PUSH_FAILED' });
  t.throws(() => pushTarget('x:1', 'r:1', 'other.io/y'), { code: 'MC_PUSH_FAILED' });
});

t.test('the join command quotes every value for the shell', async (t) => {
  for (const word of ["it's", '$(touch /tmp/pwned)', 'a b\nc', '`id`', 'plain-1.2:3']) {
    t.equal(
      execFileSync('bash', ['-c', `printf '%s' ${shellQuote(word)}`]).toString(),
      word,
      `${JSON.stringify(word)} survives bash`,
    );
  }
  const text = workerJoinCommand({
    manager: '10.0.0.5:2377',
    token: new Sensitive('SWMTKN-1-abc'),
    registryAddr: '10.0.0.5:5443',
    registryUser: 'minicloud',
    registryPassword: new Sensitive("pa'ss$(id)"),
    caSha256: 'a'.repeat(64),
    scriptSha256: 'b'.repeat(64),
  });
  t.match(text, 'curl -fsSL -o join-worker.sh http://10.0.0.5/.well-known/minicloud/join-worker.sh');
  t.match(text, `echo '${'b'.repeat(64)}  join-worker.sh' | sha256sum -c --quiet`);
  t.match(text, `MINICLOUD_REGISTRY_PASSWORD='pa'\\''ss$(id)' bash join-worker.sh`);
  t.match(text, `--ca-sha256 ${'a'.repeat(64)}`);
});

t.test(
  'platform init: creates once, then changes nothing; edits are kept; a new domain renews the proxy certificate',
  async (t) => {
    const dir = t.testdir({});
    const s = settings({ dataDir: dir });
    const first = await initPlatform(s);
    t.ok(
      first.changes.every((c) => c.action === 'created'),
      'everything is created',
    );
    t.same(first.restart, ['mariadb', 'postgres', 'proxy', 'rabbitmq', 'redis', 'registry']);
    for (const f of [
      'secrets/admin-token',
      'secrets/postgres-password',
      'secrets/redis-password',
      'secrets/registry.htpasswd',
      'secrets/registry-notify-token',
      'secrets/registry-config.yml',
      'pki/ca.key',
      'pki/proxy/tls.key',
      'pki/registry/tls.key',
    ])
      t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} is 0600`);
    t.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700, 'secrets/ is 0700');
    const token = readFileSync(join(dir, 'secrets/admin-token'), 'utf8');

    const second = await initPlatform(s);
    t.ok(
      second.changes.every((c) => c.action === 'kept'),
      'a second run keeps everything',
    );
    t.same(second.restart, []);
    t.equal(readFileSync(join(dir, 'secrets/admin-token'), 'utf8'), token, 'secrets are never made again');

    const conf = join(dir, 'config/management/mariadb/minicloud.cnf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}max_connections = 10\n`);
    const edited = await initPlatform(s);
    t.match(
      edited.changes.find((c) => c.path === 'config/management/mariadb/minicloud.cnf'),
      { action: 'customized' },
      'a hand edit is kept',
    );
    t.ok(existsSync(`${conf}.minicloud-new`), 'with the new version beside it');
    t.match(readFileSync(conf, 'utf8'), /max_connections = 10/);

    const renamed = await initPlatform({ ...s, domain: 'other.example' });
    t.match(
      renamed.changes.find((c) => c.path === 'pki/proxy/tls.crt'),
      { action: 'updated', why: /does not cover/ },
    );
    t.match(
      renamed.changes.find((c) => c.path === 'config/management/proxy/conf.d/admin.conf'),
      { action: 'updated' },
    );
    t.ok(renamed.restart.includes('proxy'), 'nginx is told to reload');
    t.match(
      renamed.changes.find((c) => c.path === 'pki/ca.crt'),
      { action: 'kept' },
      'the CA stays',
    );
    t.same(JSON.parse(readFileSync(join(dir, 'config/platform.json'), 'utf8')).settings.domain, 'other.example');

    writeFileSync(join(dir, 'secrets/admin-token'), '');
    await t.rejects(initPlatform(s), MinicloudError, 'an empty secret file is an error, not silently replaced');
  },
);

t.test('which service restarts for which changed file', async (t) => {
  t.equal(restartFor('config/management/proxy/conf.d/admin.conf'), 'proxy');
  t.equal(restartFor('config/management/proxy/conf.d/.gitignore'), undefined, 'a dotfile restarts nothing');
  t.equal(restartFor('pki/proxy/tls.crt'), 'proxy');
  t.equal(restartFor('pki/registry/tls.key'), 'registry');
  t.equal(restartFor('config/management/rabbitmq/minicloud.conf'), 'rabbitmq');
  t.equal(restartFor('config/management/postgres/pg_hba.conf'), 'postgres');
  t.equal(restartFor('config/management/redis/minicloud.conf'), 'redis');
  t.equal(restartFor('config/management/minicloud.yml'), undefined);
  t.equal(restartFor('secrets/admin-token'), undefined);
});

t.test(
  'postgres and redis: on the services network under their names, data under the data dir, passwords as swarm secrets',
  async (t) => {
    const files = renderManagementFiles(await loadTemplates(), settings());
    const text = files['minicloud.yml']!;
    const stack = yaml.load(text) as {
      services: Record<
        string,
        {
          networks: unknown;
          volumes: string[];
          secrets: { source: string; target: string }[];
          healthcheck: { test: string[] };
          environment: Record<string, string>;
          command?: string[];
          entrypoint?: string[];
          ports?: unknown;
          deploy: { resources: { limits: { memory: string } } };
        }
      >;
      secrets: Record<string, { file: string }>;
    };
    const expected = {
      postgres: {
        data: '/data/minicloud/postgres:/var/lib/postgresql/data',
        secret: 'postgres_password',
        memory: '128M',
      },
      redis: { data: '/data/minicloud/redis:/data', secret: 'redis_password', memory: '64M' },
    };
    for (const [name, e] of Object.entries(expected)) {
      const svc = stack.services[name]!;
      t.same(
        svc.networks,
        { services: { aliases: [name] } },
        `${name} answers as ${name} on the services network only`,
      );
      t.notOk(svc.ports, `${name} publishes nothing`);
      t.equal(svc.volumes[0], e.data, `${name}'s data is under the data dir`);
      t.same(
        svc.secrets.map((s) => s.source),
        [e.secret],
        `${name}'s password is a swarm secret`,
      );
      t.equal(stack.secrets[e.secret]!.file, `/data/minicloud/secrets/${name}-password`);
      t.ok(svc.healthcheck.test.length > 1, `${name} has a healthcheck`);
      t.equal(svc.deploy.resources.limits.memory, e.memory, `${name} has a small memory limit`);
      const argv = JSON.stringify([svc.command ?? [], svc.entrypoint ?? [], svc.environment]);
      t.notMatch(argv, /PASSWORD=|--password|requirepass/i, `${name}: no password on a command line or in the env`);
    }
    t.equal(stack.services['postgres']!.environment['POSTGRES_PASSWORD_FILE'], '/run/secrets/postgres-password');
    t.equal(stack.services['redis']!.environment['REDIS_PASSWORD_FILE'], '/run/secrets/redis-password');
    t.same(stack.services['postgres']!.command, ['postgres', '-c', 'config_file=/etc/postgresql/minicloud.conf']);
    t.same(stack.services['redis']!.entrypoint, ['sh', '/etc/redis/minicloud-start.sh']);

    // The real secrets never reach the stack file.
    const dir = t.testdir({});
    await initPlatform(settings({ dataDir: dir }));
    const stackFile = readFileSync(join(dir, 'config/management/minicloud.yml'), 'utf8');
    for (const name of ['postgres-password', 'redis-password']) {
      const secret = readFileSync(join(dir, 'secrets', name), 'utf8').trim();
      t.ok(secret.length >= 20, `${name} was generated`);
      t.notMatch(stackFile, secret, `${name} is not in the stack file`);
    }
  },
);

t.test(
  'an install made before postgres and redis gets their passwords, dirs and images at its next init',
  async (t) => {
    const dir = t.testdir({});
    const s = settings({ dataDir: dir });
    await initPlatform(s);
    const keep = readFileSync(join(dir, 'secrets/mariadb-root-password'), 'utf8');
    // What such an install looks like: no secrets, no data dirs, platform.json without their images.
    for (const name of ['postgres-password', 'redis-password']) execFileSync('rm', [join(dir, 'secrets', name)]);
    execFileSync('rmdir', [join(dir, 'postgres'), join(dir, 'redis')]);
    const file = join(dir, 'config/platform.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { settings: { images: Record<string, string> } };
    delete recorded.settings.images['postgres'];
    delete recorded.settings.images['redis'];
    writeFileSync(file, JSON.stringify(recorded));

    const loaded = await loadPlatformSettings(dir);
    t.equal(loaded.images.postgres, 'minicloud/postgres:bookworm', "an older platform.json: the mode's postgres image");
    t.equal(loaded.images.redis, 'minicloud/redis:bookworm');
    t.equal(loaded.images.mariadb, images.mariadb, 'the recorded images stay');
    const hub = JSON.parse(readFileSync(file, 'utf8')) as { settings: { imagesMode: string } };
    hub.settings.imagesMode = 'hub';
    writeFileSync(file, JSON.stringify(hub));
    t.match((await loadPlatformSettings(dir)).images, { postgres: 'postgres:15', redis: 'redis:7.2' }, 'hub mode');
    writeFileSync(file, JSON.stringify(recorded));

    const again = await initPlatform(s);
    for (const name of ['postgres-password', 'redis-password']) {
      t.match(
        again.changes.find((c) => c.path === `secrets/${name}`),
        { action: 'created' },
        `${name} is made`,
      );
      t.equal(statSync(join(dir, 'secrets', name)).mode & 0o777, 0o600);
    }
    t.ok(existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'redis')), 'their data dirs are made');
    t.equal(readFileSync(join(dir, 'secrets/mariadb-root-password'), 'utf8'), keep, 'the existing secrets stay');
    t.match(
      again.changes.find((c) => c.path === 'secrets/mariadb-root-password'),
      { action: 'kept' },
    );
  },
);

t.test('platform settings: postgres and redis images default to the mode, and can be named', async (t) => {
  t.match(settings().images, { postgres: 'minicloud/postgres:bookworm', redis: 'minicloud/redis:bookworm' });
  t.match(settings({ imagesMode: 'hub' }).images, { postgres: 'postgres:15', redis: 'redis:7.2' });
  const named = platformSettings({
    dataDir: '/data/minicloud',
    registryAddr: '10.0.0.5:5443',
    images: { ...images, postgres: 'postgres:15-abc', redis: 'redis:7.2-abc' },
  });
  t.match(named.images, { postgres: 'postgres:15-abc', redis: 'redis:7.2-abc' });
  t.throws(
    () =>
      platformSettings({
        dataDir: '/data/minicloud',
        registryAddr: '10.0.0.5:5443',
        images: { ...images, redis: 'redis:7 ; rm -rf /' },
      }),
    { code: 'MC_PLATFORM_INVALID', details: [{ path: 'images.redis' }] },
  );
});
