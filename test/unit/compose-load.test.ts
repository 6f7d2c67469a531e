import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compileStack,
  composeFromText,
  formatDetail,
  interpolate,
  isMinicloudError,
  loadComposeFile,
  loadManifest,
  parseComposeYaml,
  validateCompose,
  type ComposeFile,
  type ComposeService,
} from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';

const load = (text: string, env: Record<string, string> = {}): ComposeFile => composeFromText(text, 'test.yml', env);

/** A document with one service `web` (nginx) plus the given service keys and top-level keys. */
function doc(service: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '3.8', services: { web: { image: 'nginx:1.27', ...service } }, ...top };
}

const web = (service: Record<string, unknown>, top: Record<string, unknown> = {}): ComposeService =>
  validateCompose(doc(service, top)).services['web']!;

/** The printed errors for a document, or [] when it is valid. */
function errorsOf(value: unknown): string[] {
  try {
    validateCompose(value);
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_COMPOSE_INVALID');
    return error.details.map(formatDetail);
  }
}

t.test('YAML: syntax errors name line and column; core schema with merge keys and docker octal', async (t) => {
  try {
    parseComposeYaml('services:\n  web:\n    image: [unclosed\n', 'bad.yml');
    t.fail('should throw');
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_COMPOSE_INVALID');
    t.match(error.message, /^bad\.yml is not valid YAML: line \d+, column \d+: /);
  }
  t.throws(() => parseComposeYaml('a: 1\na: 2\n'), { code: 'MC_COMPOSE_INVALID' }, 'duplicate keys');
  const parsed = parseComposeYaml(
    [
      'x-common: &common {image: "nginx", deploy: {replicas: 2}}',
      'a: {<<: *common, user: app}',
      'mode: 0440',
      'hex: 0x1F',
      'yes_word: yes',
      'on_word: on',
      'date: 2024-01-01',
      'nothing: ~',
      'float: 3.10',
    ].join('\n'),
  );
  t.same(parsed, {
    'x-common': { image: 'nginx', deploy: { replicas: 2 } },
    a: { image: 'nginx', deploy: { replicas: 2 }, user: 'app' },
    mode: 0o440,
    hex: 31,
    yes_word: 'yes',
    on_word: 'on',
    date: '2024-01-01',
    nothing: null,
    float: 3.1,
  });
});

t.test('compiled stacks load back into the compose the compiler built', async (t) => {
  for (const app of goldenApps()) {
    const compiled = compileStack(await loadManifest(app.dir), app.settings);
    const loaded = load(compiled.yaml);
    // The compiler escapes $ for interpolation; loading turns $$ back into $.
    const unescaped = JSON.parse(JSON.stringify(compiled.compose).replace(/\$\$/g, '$')) as ComposeFile;
    t.same(loaded, unescaped, app.name);
    t.ok(load(readFileSync(app.expectedFile, 'utf8')).services['web'], `${app.name}: the golden stack.yml loads`);
  }
});

t.test('every supported service key, in the long form the converter reads', async (t) => {
  const service = web(
    {
      command: 'node server.js',
      entrypoint: ['/sbin/tini', '--'],
      environment: { A: 'x', N: 80, B: true, U: null },
      env_file: ['a.env', 'b.env'],
      ports: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'host' }],
      networks: { front: { aliases: ['www'] }, back: null },
      volumes: [
        { type: 'volume', source: 'data', target: '/data', read_only: true, volume: { nocopy: true } },
        { type: 'bind', source: '/srv', target: '/srv', bind: { propagation: 'rshared' } },
        { type: 'tmpfs', target: '/tmp', tmpfs: { size: 1048576 } },
      ],
      healthcheck: { test: ['CMD', 'true'], interval: '1m30s', timeout: '500ms', retries: 2, start_period: '0' },
      labels: { 'com.example.role': 'web' },
      secrets: [{ source: 'key', target: '/run/key', uid: '100', gid: 101, mode: 0o400 }],
      configs: ['conf'],
      working_dir: '/app',
      user: '1000:1000',
      hostname: 'web-host',
      stop_grace_period: '20s',
      init: true,
      tty: false,
      read_only: true,
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      deploy: {
        mode: 'replicated',
        replicas: 0,
        endpoint_mode: 'dnsrr',
        labels: ['a=1', 'b'],
        resources: { limits: { cpus: 0.5, memory: '128M' }, reservations: { cpus: '0.25', memory: 67108864 } },
        restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m' },
        update_config: {
          parallelism: 2,
          delay: '10s',
          failure_action: 'rollback',
          monitor: '1m',
          max_failure_ratio: 0.1,
          order: 'start-first',
        },
        rollback_config: { parallelism: 0, failure_action: 'pause', order: 'stop-first' },
        placement: {
          constraints: ['node.role == worker'],
          preferences: [{ spread: 'node.labels.zone' }],
          max_replicas_per_node: 1,
        },
      },
      'x-tool': { anything: true },
    },
    {
      networks: { front: {}, back: null },
      volumes: { data: null },
      secrets: { key: { file: './key.txt' } },
      configs: { conf: { external: true } },
    },
  );
  t.same(service, {
    image: 'nginx:1.27',
    command: 'node server.js',
    entrypoint: ['/sbin/tini', '--'],
    environment: { A: 'x', N: '80', B: 'true', U: null },
    env_file: ['a.env', 'b.env'],
    ports: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'host' }],
    networks: { front: { aliases: ['www'] }, back: null },
    volumes: [
      { type: 'volume', source: 'data', target: '/data', read_only: true, volume: { nocopy: true } },
      { type: 'bind', source: '/srv', target: '/srv', bind: { propagation: 'rshared' } },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 1048576 } },
    ],
    healthcheck: { test: ['CMD', 'true'], interval: '1m30s', timeout: '500ms', retries: 2, start_period: '0' },
    labels: { 'com.example.role': 'web' },
    secrets: [{ source: 'key', target: '/run/key', uid: '100', gid: '101', mode: 0o400 }],
    configs: [{ source: 'conf' }],
    working_dir: '/app',
    user: '1000:1000',
    hostname: 'web-host',
    stop_grace_period: '20s',
    init: true,
    tty: false,
    read_only: true,
    cap_add: ['NET_ADMIN'],
    cap_drop: ['ALL'],
    deploy: {
      mode: 'replicated',
      replicas: 0,
      endpoint_mode: 'dnsrr',
      labels: { a: '1', b: '' },
      resources: { limits: { cpus: '0.5', memory: '128M' }, reservations: { cpus: '0.25', memory: '67108864' } },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m' },
      update_config: {
        parallelism: 2,
        delay: '10s',
        failure_action: 'rollback',
        monitor: '1m',
        max_failure_ratio: 0.1,
        order: 'start-first',
      },
      rollback_config: { parallelism: 0, failure_action: 'pause', order: 'stop-first' },
      placement: {
        constraints: ['node.role == worker'],
        preferences: [{ spread: 'node.labels.zone' }],
        max_replicas_per_node: 1,
      },
    },
  });
});

t.test('short syntaxes become the long form', async (t) => {
  const cases: [string, Record<string, unknown>, Partial<ComposeService>][] = [
    [
      'environment list',
      { environment: ['A=1', 'B=x=y', 'C=', 'D'] },
      { environment: { A: '1', B: 'x=y', C: '', D: null } },
    ],
    ['env_file string', { env_file: 'app.env' }, { env_file: ['app.env'] }],
    ['labels list', { labels: ['a=1', 'b'] }, { labels: { a: '1', b: '' } }],
    ['labels map with null and number', { labels: { a: null, b: 2 } }, { labels: { a: '', b: '2' } }],
    ['networks list', { networks: ['front'] }, { networks: { front: null } }],
    [
      'healthcheck string',
      { healthcheck: { test: 'curl -f http://localhost || exit 1' } },
      {
        healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'] },
      },
    ],
    ['secret name', { secrets: ['key'] }, { secrets: [{ source: 'key' }] }],
    ['config name', { configs: ['conf'] }, { configs: [{ source: 'conf' }] }],
    [
      'port "8080:80"',
      { ports: ['8080:80'] },
      { ports: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }] },
    ],
    ['port "80"', { ports: ['80'] }, { ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] }],
    ['port 80 (number)', { ports: [80] }, { ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] }],
    [
      'port "8080:80/udp"',
      { ports: ['8080:80/udp'] },
      {
        ports: [{ target: 80, published: 8080, protocol: 'udp', mode: 'ingress' }],
      },
    ],
    [
      'port range',
      { ports: ['8000-8001:80-81'] },
      {
        ports: [
          { target: 80, published: 8000, protocol: 'tcp', mode: 'ingress' },
          { target: 81, published: 8001, protocol: 'tcp', mode: 'ingress' },
        ],
      },
    ],
    [
      'volume "name:/path"',
      { volumes: ['data:/data'] },
      { volumes: [{ type: 'volume', source: 'data', target: '/data' }] },
    ],
    [
      'volume "/host:/path:ro"',
      { volumes: ['/srv/x:/x:ro'] },
      {
        volumes: [{ type: 'bind', source: '/srv/x', target: '/x', read_only: true }],
      },
    ],
    ['volume "/path" (anonymous)', { volumes: ['/cache'] }, { volumes: [{ type: 'volume', target: '/cache' }] }],
    [
      'volume options',
      { volumes: ['data:/data:rw,nocopy', '/a:/b:ro,rslave'] },
      {
        volumes: [
          { type: 'volume', source: 'data', target: '/data', read_only: false, volume: { nocopy: true } },
          { type: 'bind', source: '/a', target: '/b', read_only: true, bind: { propagation: 'rslave' } },
        ],
      },
    ],
  ];
  const top = {
    networks: { front: null },
    volumes: { data: null },
    secrets: { key: { file: 'k' } },
    configs: { conf: { file: 'c' } },
  };
  for (const [name, input, expected] of cases) {
    t.same(web(input, top), { image: 'nginx:1.27', ...expected }, name);
  }
});

t.test('top-level networks, volumes, secrets and configs', async (t) => {
  const c = validateCompose(
    doc(
      {},
      {
        networks: {
          plain: null,
          custom: {
            driver: 'overlay',
            driver_opts: { 'com.docker.network.driver.mtu': 1400 },
            attachable: true,
            internal: true,
            labels: ['team=a'],
            ipam: { driver: 'default', config: [{ subnet: '10.9.0.0/24' }] },
            'x-note': 'ignored',
          },
          outside: { external: true, name: 'edge' },
          legacy: { external: { name: 'old-edge' } },
        },
        volumes: {
          data: null,
          tuned: { driver: 'local', driver_opts: { type: 'tmpfs' }, labels: { a: 'b' } },
          shared: { external: true },
        },
        secrets: { key: { file: './key', name: 'app-key', labels: { l: 'v' } }, given: { external: true } },
        configs: { conf: { file: 'conf.ini' }, old: { external: { name: 'old-conf' } } },
      },
    ),
  );
  t.same(c.networks, {
    plain: {},
    custom: {
      driver: 'overlay',
      driver_opts: { 'com.docker.network.driver.mtu': '1400' },
      attachable: true,
      internal: true,
      labels: { team: 'a' },
      ipam: { driver: 'default', config: [{ subnet: '10.9.0.0/24' }] },
    },
    outside: { external: true, name: 'edge' },
    legacy: { external: true, name: 'old-edge' },
  });
  t.same(c.volumes, {
    data: {},
    tuned: { driver: 'local', driver_opts: { type: 'tmpfs' }, labels: { a: 'b' } },
    shared: { external: true },
  });
  t.same(c.secrets, { key: { file: './key', name: 'app-key', labels: { l: 'v' } }, given: { external: true } });
  t.same(c.configs, { conf: { file: 'conf.ini' }, old: { external: true, name: 'old-conf' } });
});

t.test("versions: any 3.x, stated as text or number; none means docker's default", async (t) => {
  t.equal(validateCompose({ version: '3.8', services: {} }).version, '3.8');
  t.equal(validateCompose({ version: 3.7, services: {} }).version, '3.7');
  t.equal(validateCompose({ services: {} }).version, '3.13');
  t.equal(validateCompose({ version: '3', services: {} }).version, '3.13');
  t.same(errorsOf({ version: '2.4', services: {} }), [
    'version: must be a 3.x version such as "3.8" (stack deploy reads version 3 files only)',
  ]);
});

t.test('keys stack deploy does not support are errors, never dropped', async (t) => {
  const stackUnsupported: [string, unknown, string?][] = [
    ['build', '.'],
    ['depends_on', ['db'], 'swarm starts services in any order; use healthchecks and retries'],
    ['container_name', 'x', 'swarm names the containers of a service itself'],
    ['restart', 'always', 'use deploy.restart_policy'],
    ['links', ['db'], 'use networks'],
    ['external_links', ['db'], 'use networks'],
    ['expose', [80], 'services on a shared network reach each other on every port'],
    ['network_mode', 'host'],
    ['privileged', true],
    ['devices', ['/dev/x']],
    ['security_opt', ['x']],
    ['shm_size', '64m'],
    ['ipc', 'host'],
    ['pid', 'host'],
    ['userns_mode', 'host'],
    ['cgroup_parent', 'x'],
    ['cgroupns_mode', 'host'],
    ['domainname', 'x'],
    ['mac_address', 'x'],
    ['extends', { service: 'x' }],
    ['volume_driver', 'x', 'use a top-level volume with a driver'],
    ['volumes_from', ['x'], 'use a top-level volume shared by the services'],
    ['cpu_quota', 1, 'use deploy.resources'],
    ['cpu_shares', 1, 'use deploy.resources'],
    ['cpuset', '0', 'use deploy.resources'],
    ['mem_limit', '1g', 'use deploy.resources'],
    ['memswap_limit', '1g', 'use deploy.resources'],
    ['tmpfs', ['/tmp'], 'use a volume with type: tmpfs'],
  ];
  for (const [key, value, hint] of stackUnsupported) {
    const message =
      hint === undefined ? 'is not supported by stack deploy' : `is not supported by stack deploy: ${hint}`;
    t.same(errorsOf(doc({ [key]: value })), [`services.web.${key}: ${message}`], key);
  }
  const notYet = ['logging', 'dns', 'dns_search', 'extra_hosts', 'sysctls', 'ulimits', 'stop_signal', 'stdin_open'];
  for (const key of [...notYet, 'isolation', 'credential_spec', 'oom_score_adj']) {
    t.same(errorsOf(doc({ [key]: 'x' })), [`services.web.${key}: is not supported by minicloud yet`], key);
  }
  const nested: [Record<string, unknown>, Record<string, unknown>, string][] = [
    [
      { deploy: { resources: { limits: { pids: 10 } } } },
      {},
      'services.web.deploy.resources.limits.pids: is not supported by minicloud yet',
    ],
    [
      { healthcheck: { start_interval: '1s' } },
      {},
      'services.web.healthcheck.start_interval: is not supported by minicloud yet',
    ],
    [
      { volumes: [{ type: 'bind', source: '/a', target: '/b', consistency: 'cached' }] },
      {},
      'services.web.volumes[0].consistency: is not supported by minicloud yet',
    ],
    [
      { networks: { n: { ipv4_address: '10.0.0.2' } } },
      { networks: { n: null } },
      'services.web.networks.n.ipv4_address: is not supported by stack deploy',
    ],
    [{}, { name: 'proj' }, 'name: is not supported by stack deploy: the stack name is given when deploying'],
    [{}, { secrets: { s: { driver: 'vault' } } }, 'secrets.s.driver: is not supported by minicloud yet'],
    [
      {},
      { configs: { c: { file: 'x', template_driver: 'golang' } } },
      'configs.c.template_driver: is not supported by minicloud yet',
    ],
    [{}, { networks: { n: { enable_ipv6: true } } }, 'networks.n.enable_ipv6: is not supported by minicloud yet'],
  ];
  for (const [service, top, expected] of nested) t.same(errorsOf(doc(service, top)), [expected], expected);
});

t.test('each rule names the field, and every error is reported at once', async (t) => {
  const cases: [Record<string, unknown>, Record<string, unknown>, string[]][] = [
    [{ imagee: 'x' }, {}, ['services.web.imagee: is not a known field (did you mean "image"?)']],
    [{ image: 'Bad Image' }, {}, ['services.web.image: must be an image reference such as nginx:1.27']],
    [
      { ports: ['1.2.3.4:80:80'] },
      {},
      [
        'services.web.ports[0]: must be a port such as 80, "8080:80" or "53:53/udp" (no host IP), or a mapping of target, published, protocol and mode',
      ],
    ],
    [
      { ports: ['70000:80'] },
      {},
      ['services.web.ports[0]: must use ports from 1 to 65535, and ranges that go up, such as 8000-8010'],
    ],
    [
      { ports: ['8000-8002:80-81'] },
      {},
      ['services.web.ports[0]: must map a published range onto a target range of the same length'],
    ],
    [
      { ports: [{ target: 80, tagret: 81 }] },
      {},
      ['services.web.ports[0].tagret: is not a known field (did you mean "target"?)'],
    ],
    [{ ports: [{ target: 80, mode: 'bridge' }] }, {}, ['services.web.ports[0].mode: must be one of: ingress, host']],
    [
      { ports: ['80:80'], deploy: { endpoint_mode: 'dnsrr' } },
      {},
      ['services.web.ports: with endpoint_mode: dnsrr, ports must use mode: host'],
    ],
    [
      { volumes: ['./data:/data'] },
      {},
      [
        'services.web.volumes[0]: a bind mount needs an absolute source path on the node (relative paths and ~ are not supported)',
      ],
    ],
    [
      { volumes: ['~/x:/x'] },
      {},
      [
        'services.web.volumes[0]: a bind mount needs an absolute source path on the node (relative paths and ~ are not supported)',
      ],
    ],
    [{ volumes: ['/a:/b:c:d'] }, {}, ['services.web.volumes[0]: has too many colons (source:target:options)']],
    [{ volumes: ['/a::/b'] }, {}, ['services.web.volumes[0]: must not have an empty part between colons']],
    [
      { volumes: ['/a:/b:z'] },
      {},
      ['services.web.volumes[0]: has an unknown option "z" (ro, rw, nocopy, or a bind propagation such as rshared)'],
    ],
    [{ volumes: ['/a:b'] }, {}, ['services.web.volumes[0]: the target must be an absolute path in the container']],
    [
      { volumes: [{ type: 'tmpfs', source: 'x', target: '/t' }] },
      {},
      ['services.web.volumes[0]: a tmpfs mount has no source'],
    ],
    [
      { volumes: [{ type: 'bind', source: '/a', target: '/b', volume: { nocopy: true } }] },
      {},
      ['services.web.volumes[0]: volume options do not apply to a bind mount'],
    ],
    [
      { volumes: [{ type: 'npipe', source: 'a', target: '/b' }] },
      {},
      ['services.web.volumes[0].type: must be one of: bind, volume, tmpfs'],
    ],
    [
      { volumes: ['data:/data'] },
      {},
      ['services.web.volumes[0]: volume "data" is not defined in the top-level volumes'],
    ],
    [{ networks: ['front'] }, {}, ['services.web.networks.front: is not defined in the top-level networks']],
    [{ secrets: ['s'] }, {}, ['services.web.secrets[0]: secret "s" is not defined in the top-level secrets']],
    [
      { configs: [{ source: 'c' }] },
      {},
      ['services.web.configs[0]: config "c" is not defined in the top-level configs'],
    ],
    [
      { secrets: [{ source: 's', mode: 0o1777 }] },
      { secrets: { s: { file: 'x' } } },
      ['services.web.secrets[0].mode: must be file permissions such as 0440'],
    ],
    [{ environment: ['=x'] }, {}, ['services.web.environment[0]: must start with a name before "="']],
    [
      { environment: 'A=1' },
      {},
      ['services.web.environment: must be a mapping of variable names to values, or a list of KEY=VALUE strings'],
    ],
    [{ environment: { A: [1] } }, {}, ['services.web.environment.A: must be a string, number, boolean or null']],
    [
      { healthcheck: { test: 'x', disable: true } },
      {},
      ['services.web.healthcheck.disable: cannot be combined with test'],
    ],
    [
      { healthcheck: { test: ['curl', 'x'] } },
      {},
      ['services.web.healthcheck.test[0]: must be CMD, CMD-SHELL or NONE (or write test as a string)'],
    ],
    [
      { healthcheck: { interval: '10' } },
      {},
      ['services.web.healthcheck.interval: must be a duration such as 30s, 1m30s or 500ms'],
    ],
    [
      { stop_grace_period: '-1s' },
      {},
      ['services.web.stop_grace_period: must be a duration such as 30s, 1m30s or 500ms'],
    ],
    [
      { deploy: { mode: 'global', replicas: 2 } },
      {},
      ['services.web.deploy.replicas: can only be used with mode: replicated'],
    ],
    [
      { deploy: { mode: 'replicated-job' } },
      {},
      ['services.web.deploy.mode: must be one of: replicated, global (jobs are not supported by minicloud yet)'],
    ],
    [{ deploy: { replicas: -1 } }, {}, ['services.web.deploy.replicas: must be an integer of 0 or more']],
    [
      { deploy: { resources: { limits: { cpus: 1e-10 } } } },
      {},
      ['services.web.deploy.resources.limits.cpus: must have at most 9 decimals'],
    ],
    [
      { deploy: { resources: { limits: { memory: '1 gigabyte' } } } },
      {},
      [
        'services.web.deploy.resources.limits.memory: must be a size such as 128M, 1.5G or 512MiB, or a number of bytes',
      ],
    ],
    [
      { deploy: { rollback_config: { failure_action: 'rollback' } } },
      {},
      [
        'services.web.deploy.rollback_config.failure_action: must be one of: continue, pause (a rollback cannot roll back)',
      ],
    ],
    [
      { deploy: { update_config: { order: 'random' } } },
      {},
      ['services.web.deploy.update_config.order: must be one of: start-first, stop-first'],
    ],
    [
      { deploy: { restart_policy: { condition: 'always' } } },
      {},
      ['services.web.deploy.restart_policy.condition: must be one of: none, on-failure, any'],
    ],
    [
      {},
      { networks: { n: { external: true, driver: 'overlay', labels: { a: 'b' } } } },
      [
        'networks.n.driver: cannot be combined with external: true',
        'networks.n.labels: cannot be combined with external: true',
      ],
    ],
    [
      {},
      { networks: { n: { external: { name: 'a' }, name: 'b' } } },
      ['networks.n.external.name: conflicts with name; only use name'],
    ],
    [
      {},
      { volumes: { v: { external: true, driver: 'local' } } },
      ['volumes.v.driver: cannot be combined with external: true'],
    ],
    [{}, { secrets: { s: {} } }, ['secrets.s: must have file, or external: true']],
    [{}, { secrets: { s: { external: true, file: 'x' } } }, ['secrets.s.file: cannot be combined with external: true']],
    [{}, { 'bad key': 1 }, ['bad key: is not a known field']],
  ];
  for (const [service, top, expected] of cases) {
    t.same(errorsOf(doc(service, top)), expected, expected.join(' | '));
  }
  t.same(errorsOf({ services: { 'my.svc': { image: 'nginx' } } }), [
    'services.my.svc: is not a valid service name (letters, digits, - and _, starting and ending with a letter or digit)',
  ]);
  t.same(errorsOf({ services: { web: {} } }), ['services.web.image: is required']);
  t.same(errorsOf('just text'), ['must be a mapping with services (a compose file)']);
  t.same(errorsOf({}), ['services: is required']);

  const many = errorsOf(
    doc(
      {
        build: '.',
        depends_on: ['db'],
        ports: ['x'],
        networks: ['missing'],
        volumes: ['./rel:/x'],
        deploy: { replicas: 'two' },
      },
      { secrets: { s: {} } },
    ),
  );
  t.same(
    many,
    [
      'services.web.ports[0]: must be a port such as 80, "8080:80" or "53:53/udp" (no host IP), or a mapping of target, published, protocol and mode',
      'services.web.deploy.replicas: must be an integer of 0 or more',
      'services.web.build: is not supported by stack deploy',
      'services.web.depends_on: is not supported by stack deploy: swarm starts services in any order; use healthchecks and retries',
      'services.web.volumes[0]: a bind mount needs an absolute source path on the node (relative paths and ~ are not supported)',
      'secrets.s: must have file, or external: true',
      'services.web.networks.missing: is not defined in the top-level networks',
    ],
    'schema errors, then the later stages on the parts the schema accepted',
  );
});

t.test("interpolation runs before validation, with the caller's environment", async (t) => {
  const text = [
    'services:',
    '  web:',
    '    image: "registry.local/app:${TAG:-latest}"',
    '    environment: {GREETING: "hi $$USER", HOME_DIR: "$HOME"}',
    '    deploy: {replicas: "${REPLICAS}"}',
  ].join('\n');
  const c = load(text, { REPLICAS: '3', HOME: '/home/app' });
  t.equal(c.services['web']!.image, 'registry.local/app:latest');
  t.same(c.services['web']!.environment, { GREETING: 'hi $USER', HOME_DIR: '/home/app' });
  t.equal(c.services['web']!.deploy!.replicas, 3);
  t.throws(() => load('services: {web: {image: "x:${TAG:?set TAG}"}}'), {
    code: 'MC_COMPOSE_INVALID',
    details: [{ path: 'services.web.image', message: 'required variable TAG is missing: set TAG' }],
  });
  t.same(validateCompose(interpolate(parseComposeYaml(text), { REPLICAS: '1' })).services['web']!.deploy, {
    replicas: 1,
  });
});

t.test('loadComposeFile reads a file and names it when it is missing', async (t) => {
  const dir = t.testdir({ 'stack.yml': 'services:\n  web:\n    image: nginx:${TAG}\n' });
  const c = await loadComposeFile(join(dir, 'stack.yml'), { TAG: '1.27' });
  t.equal(c.services['web']!.image, 'nginx:1.27');
  await t.rejects(loadComposeFile(join(dir, 'missing.yml'), {}), {
    code: 'MC_COMPOSE_INVALID',
    message: `cannot read compose file ${join(dir, 'missing.yml')}: does not exist`,
  });
});
