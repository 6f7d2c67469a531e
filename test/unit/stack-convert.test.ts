import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import {
  compileStack,
  composeFromText,
  cpusToNano,
  durationToNanos,
  formatDetail,
  isMinicloudError,
  manifestFromText,
  readStackInputs,
  sizeToBytes,
  toDesiredStack,
  validateCompose,
  type ComposeFile,
  type DesiredService,
  type DesiredStack,
  type StackInputs,
} from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';

const NO_INPUTS: StackInputs = { envFiles: {}, files: {} };

/** A stack from a compose document given as data (validated the way a loaded file is). */
function convert(doc: Record<string, unknown>, inputs: StackInputs = NO_INPUTS, stack = 'app'): DesiredStack {
  return toDesiredStack(stack, validateCompose({ version: '3.8', ...doc }), inputs);
}

function service(stack: DesiredStack, key: string): DesiredService {
  const found = stack.services.find((s) => s.key === key);
  if (!found) throw new Error(`no service ${key}`);
  return found;
}

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read deep into specs

const containerOf = (s: DesiredService): Spec => (s.spec.TaskTemplate as Spec)['ContainerSpec'] as Spec;

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_COMPOSE_INVALID');
    return error.details.map(formatDetail);
  }
}

/** The spec hash as documented: sha256 of sorted-keys JSON, without the hash label itself. */
function expectedHash(spec: Record<string, unknown>): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  const labels = { ...(spec['Labels'] as Record<string, string>) };
  delete labels['minicloud.spec-hash'];
  return createHash('sha256')
    .update(JSON.stringify(sorted({ ...spec, Labels: labels })))
    .digest('hex');
}

const CREDENTIALS = 'DATABASE_URL=mysql://u:p@mariadb/db\nAMQP_URL=amqp://u:p@rabbitmq/vh\n';

function goldenInputs(compose: ComposeFile): StackInputs {
  const files = Object.values(compose.services).flatMap((s) => s.env_file ?? []);
  return { envFiles: Object.fromEntries(files.map((f) => [f, CREDENTIALS])), files: {} };
}

t.test('every compiled golden stack converts, labelled, hashed and deterministic', async (t) => {
  for (const app of goldenApps()) {
    const compose = composeFromText(readFileSync(app.expectedFile, 'utf8'), app.expectedFile, {});
    const name = String(compose.services['web']!.deploy!.labels!['minicloud.app']);
    const stack = toDesiredStack(name, compose, goldenInputs(compose));
    t.same(
      stack.services.map((s) => s.key),
      Object.keys(compose.services).sort(),
      `${app.name}: one service per compose service, sorted`,
    );
    for (const s of stack.services) {
      t.equal(s.name, `${name}_${s.key}`);
      t.equal(s.spec.Name, s.name);
      t.match(s.spec.Labels, { 'com.docker.stack.namespace': name, 'minicloud.managed': 'true' });
      t.equal(s.spec.Labels['minicloud.spec-hash'], s.hash);
      t.equal(s.hash, expectedHash(s.spec), `${s.name}: hash of the spec without its hash label`);
      const env = (containerOf(s)['Env'] ?? []) as string[];
      t.same(env, [...env].sort(), `${s.name}: Env sorted`);
      if (compose.services[s.key]!.env_file) {
        t.ok(env.includes('DATABASE_URL=mysql://u:p@mariadb/db'), `${s.name}: env_file read`);
      }
    }
    for (const net of stack.networks.filter((n) => !n.external)) {
      t.match(net.create, { Labels: { 'com.docker.stack.namespace': name, 'minicloud.managed': 'true' } });
    }
    t.same(toDesiredStack(name, compose, goldenInputs(compose)), stack, `${app.name}: converting twice gives the same`);
  }
});

t.test('the web service of web-db-storage, field by field', async (t) => {
  const file = goldenApps().find((a) => a.name === 'web-db-storage')!.expectedFile;
  const compose = composeFromText(readFileSync(file, 'utf8'), file, {});
  const stack = toDesiredStack('notes', compose, goldenInputs(compose));
  const web = service(stack, 'web');
  const image = 'registry.example.com:5000/notes:2.1.0';
  t.same(web.spec, {
    Name: 'notes_web',
    Labels: {
      'com.docker.stack.image': image,
      'com.docker.stack.namespace': 'notes',
      'minicloud.app': 'notes',
      'minicloud.domains': 'notes.minicloud.localhost,notes.example.com',
      'minicloud.http.port': '80',
      'minicloud.image': image,
      'minicloud.managed': 'true',
      'minicloud.needs': 'database,storage',
      'minicloud.role': 'web',
      'minicloud.spec-hash': web.hash,
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: { 'com.docker.stack.namespace': 'notes' },
        Env: [
          'AMQP_URL=amqp://u:p@rabbitmq/vh',
          'DATABASE_URL=mysql://u:p@mariadb/db',
          'LOG_LEVEL=info',
          'MAX_UPLOAD_MB=20',
          'PRICE_NOTE=costs $5',
        ],
        Mounts: [{ Type: 'bind', Source: '/data/minicloud/storage/notes', Target: '/var/lib/notes' }],
        Healthcheck: {
          // The check's script path is the manifest's; the shape and the durations are the point here.
          Test: compose.services['web']!.healthcheck!.test,
          Interval: 15_000_000_000,
          Timeout: 5_000_000_000,
          StartPeriod: 10_000_000_000,
          Retries: 5,
        },
      },
      Resources: { Limits: { NanoCPUs: 250_000_000, MemoryBytes: 128 * 1024 * 1024 } },
      RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, Window: 60_000_000_000 },
      Placement: { Constraints: ['node.labels.minicloud.storage.notes == true'] },
      Networks: [
        { Target: 'minicloud-proxy', Aliases: ['web'] },
        { Target: 'minicloud-services', Aliases: ['web'] },
        { Target: 'notes_app', Aliases: ['web'] },
      ],
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: {
      Parallelism: 1,
      Delay: 5_000_000_000,
      FailureAction: 'rollback',
      Monitor: 30_000_000_000,
      MaxFailureRatio: 0,
      Order: 'start-first',
    },
    RollbackConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 30_000_000_000,
      MaxFailureRatio: 0,
      Order: 'start-first',
    },
    EndpointSpec: { Mode: 'vip' },
  });
  t.match(web.spec.TaskTemplate, { ContainerSpec: { Healthcheck: { Test: ['CMD', 'node', /healthcheck\.js$/] } } });
  t.same(stack.networks, [
    {
      name: 'notes_app',
      key: 'app',
      external: false,
      create: {
        Name: 'notes_app',
        Driver: 'overlay',
        Labels: { 'com.docker.stack.namespace': 'notes', 'minicloud.app': 'notes', 'minicloud.managed': 'true' },
      },
    },
    { name: 'minicloud-proxy', key: 'proxy', external: true },
    { name: 'minicloud-services', key: 'services', external: true },
  ]);
  t.same([stack.volumes, stack.secrets, stack.configs], [[], [], []]);
});

t.test('runner commands of web-mq-runners become Args, a string split into words', async (t) => {
  const file = goldenApps().find((a) => a.name === 'web-mq-runners')!.expectedFile;
  const compose = composeFromText(readFileSync(file, 'utf8'), file, {});
  const stack = toDesiredStack('shop', compose, goldenInputs(compose));
  t.same(containerOf(service(stack, 'worker'))['Args'], compose.services['worker']!.command, 'a list as it is');
  const mailer = compose.services['mailer']!.command as string;
  t.equal(typeof mailer, 'string');
  t.same(containerOf(service(stack, 'mailer'))['Args'], mailer.split(' '), 'a string split on spaces');
  t.notOk(containerOf(service(stack, 'web'))['Args'], 'no command: the image default');
  t.same(service(stack, 'worker').spec.Mode, { Replicated: { Replicas: 2 } });
  t.same(service(stack, 'worker').spec.TaskTemplate['Networks'], [
    { Target: 'minicloud-services', Aliases: ['worker'] },
    { Target: 'shop_app', Aliases: ['worker'] },
  ]);
});

t.test('short names on external networks: as docker does by default; apps keep them to their own', async (t) => {
  const doc = {
    services: {
      web: { image: 'nginx', networks: { own: null, shared: null, legacy: { aliases: ['www'] } } },
      worker: { image: 'nginx', networks: ['own'] },
    },
    networks: { own: null, shared: { external: true, name: 'minicloud-services' }, legacy: { external: true } },
  };
  const asDocker = convert(doc);
  t.same(
    service(asDocker, 'web').spec.TaskTemplate['Networks'],
    [
      { Target: 'app_own', Aliases: ['web'] },
      { Target: 'legacy', Aliases: ['www', 'web'] },
      { Target: 'minicloud-services', Aliases: ['web'] },
    ],
    'a raw stack: the short name on every user-defined network, as docker stack deploy does',
  );
  const isolated = toDesiredStack('app', validateCompose({ version: '3.8', ...doc }), NO_INPUTS, {
    shortNamesOnExternalNetworks: false,
  });
  t.same(
    service(isolated, 'web').spec.TaskTemplate['Networks'],
    [{ Target: 'app_own', Aliases: ['web'] }, { Target: 'legacy', Aliases: ['www'] }, { Target: 'minicloud-services' }],
    'not on external networks: only what the file writes there',
  );
  t.same(service(isolated, 'worker').spec.TaskTemplate['Networks'], [{ Target: 'app_own', Aliases: ['worker'] }]);

  // A compiled app, as AppManager deploys it: `web` and `worker` only on the app's own network.
  const file = goldenApps().find((a) => a.name === 'web-mq-runners')!.expectedFile;
  const compose = composeFromText(readFileSync(file, 'utf8'), file, {});
  const app = toDesiredStack('shop', compose, goldenInputs(compose), { shortNamesOnExternalNetworks: false });
  t.same(service(app, 'web').spec.TaskTemplate['Networks'], [
    { Target: 'minicloud-proxy' },
    { Target: 'minicloud-services' },
    { Target: 'shop_app', Aliases: ['web'] },
  ]);
  t.same(service(app, 'worker').spec.TaskTemplate['Networks'], [
    { Target: 'minicloud-services' },
    { Target: 'shop_app', Aliases: ['worker'] },
  ]);
});

t.test('names: <stack>_<key> unless name: or external says otherwise', async (t) => {
  const stack = convert(
    {
      services: {
        web: {
          image: 'nginx',
          networks: ['front', 'named', 'outside', 'legacy'],
          volumes: ['data:/data', 'named:/named', 'shared:/shared'],
          secrets: ['key', 'given'],
          configs: ['conf'],
        },
        worker: { image: 'nginx' },
      },
      networks: {
        front: null,
        named: { name: 'exact-net' },
        outside: { external: true },
        legacy: { external: { name: 'old-net' } },
        unused: null,
      },
      volumes: { data: null, named: { name: 'exact-vol' }, shared: { external: true }, unused: null },
      secrets: { key: { file: 'key.txt' }, given: { external: true, name: 'ops-key' }, spare: { file: 'spare.txt' } },
      configs: { conf: { file: 'conf.ini', name: 'exact-conf' } },
    },
    {
      envFiles: {},
      files: { 'key.txt': Buffer.from('k'), 'spare.txt': Buffer.from('s'), 'conf.ini': Buffer.from('c') },
    },
  );
  t.same(
    stack.networks.map((n) => [n.key, n.name, n.external]),
    [
      ['default', 'app_default', false],
      ['front', 'app_front', false],
      ['legacy', 'old-net', true],
      ['named', 'exact-net', false],
      ['outside', 'outside', true],
    ],
    'only networks some service joins; the implicit default for a service that lists none',
  );
  t.same(stack.networks[0]!.create, {
    Name: 'app_default',
    Driver: 'overlay',
    Labels: { 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' },
  });
  t.same(service(stack, 'worker').spec.TaskTemplate['Networks'], [{ Target: 'app_default', Aliases: ['worker'] }]);
  t.same(
    stack.volumes.map((v) => [v.key, v.name, v.external]),
    [
      ['data', 'app_data', false],
      ['named', 'exact-vol', false],
      ['shared', 'shared', true],
    ],
  );
  t.same(
    stack.secrets.map((s) => [s.key, s.name, s.external]),
    [
      ['given', 'ops-key', true],
      ['key', 'app_key', false],
      ['spare', 'app_spare', false],
    ],
    'every secret the file defines, as docker creates them all',
  );
  t.same(
    stack.configs.map((c) => [c.key, c.name]),
    [['conf', 'exact-conf']],
  );
  const refs = containerOf(service(stack, 'web'));
  t.same(
    refs['Secrets'].map((s: Spec) => s['SecretName']),
    ['app_key', 'ops-key'],
    'sorted by name',
  );
  t.same(
    refs['Configs'].map((c: Spec) => c['ConfigName']),
    ['exact-conf'],
  );
});

t.test('environment: env_file first, environment wins, sorted; bare names from the deploy env', async (t) => {
  const doc = {
    services: {
      web: {
        image: 'nginx',
        env_file: ['base.env', 'override.env'],
        environment: ['B=from-environment', 'FROM_HOST', 'NOT_ON_HOST', 'EMPTY_TAKES_HOST='],
      },
    },
  };
  const inputs: StackInputs = {
    envFiles: { 'base.env': 'A=1\nB=base\nC=base\nHOSTED\n', 'override.env': 'C=override\nZ=last\n' },
    files: {},
    env: { FROM_HOST: 'host', EMPTY_TAKES_HOST: 'host too', HOSTED: 'from host in env file' },
  };
  t.same(containerOf(service(convert(doc, inputs), 'web'))['Env'], [
    'A=1',
    'B=from-environment',
    'C=override',
    'EMPTY_TAKES_HOST=host too',
    'FROM_HOST=host',
    'HOSTED=from host in env file',
    'NOT_ON_HOST',
    'Z=last',
  ]);
  t.same(
    containerOf(service(convert(doc, { ...inputs, env: {} }), 'web'))['Env'],
    ['A=1', 'B=from-environment', 'C=override', 'EMPTY_TAKES_HOST=', 'FROM_HOST', 'NOT_ON_HOST', 'Z=last'],
    'without a deploy env, nothing is taken from the process environment',
  );
  t.same(
    errorsOf(() => convert(doc)),
    [
      'services.web.env_file[0]: base.env was not read (see readStackInputs)',
      'services.web.env_file[1]: override.env was not read (see readStackInputs)',
    ],
  );
  t.same(
    errorsOf(() => convert(doc, { envFiles: { 'base.env': 'BAD NAME=1', 'override.env': '' }, files: {} })),
    ['base.env:1: variable name "BAD NAME" contains whitespace'],
  );
});

t.test('command -> Args and entrypoint -> Command, strings split with shell quoting', async (t) => {
  const spec = containerOf(
    service(
      convert({
        services: {
          web: {
            image: 'nginx',
            entrypoint: '/bin/sh -c',
            command: `echo "two words" 'single $HOME' back\\ slash`,
          },
        },
      }),
      'web',
    ),
  );
  t.same(spec['Command'], ['/bin/sh', '-c']);
  t.same(spec['Args'], ['echo', 'two words', 'single $HOME', 'back slash']);
  const list = containerOf(service(convert({ services: { web: { image: 'nginx', command: ['a b', '"c"'] } } }), 'web'));
  t.same(list['Args'], ['a b', '"c"'], 'a list is taken as it is');
  t.same(
    errorsOf(() => convert({ services: { web: { image: 'nginx', command: 'echo "open' } } })),
    ['services.web.command: cannot be split into words: Got EOF while in a quoted string'],
  );
});

t.test('units: Go durations to ns, sizes to bytes, CPUs to billionths', async (t) => {
  const durations: [string, number | undefined][] = [
    ['0', 0],
    ['1ns', 1],
    ['1us', 1_000],
    ['1µs', 1_000],
    ['500ms', 500_000_000],
    ['30s', 30_000_000_000],
    ['1m30s', 90_000_000_000],
    ['1.5h', 5_400_000_000_000],
    ['.5s', 500_000_000],
    ['1h2m3s4ms5us6ns', 3_723_004_005_006],
    ['10', undefined],
    ['1d', undefined],
    ['-1s', undefined],
    ['', undefined],
  ];
  for (const [text, ns] of durations) t.equal(durationToNanos(text), ns, `duration ${text}`);
  const sizes: [string, number | undefined][] = [
    ['1048576', 1048576],
    ['512b', 512],
    ['128M', 134217728],
    ['128m', 134217728],
    ['128MB', 134217728],
    ['128MiB', 134217728],
    ['1.5g', 1610612736],
    ['2 k', 2048],
    ['1t', 1024 ** 4],
    ['1x', undefined],
    ['M', undefined],
  ];
  for (const [text, bytes] of sizes) t.equal(sizeToBytes(text), bytes, `size ${text}`);
  const cpus: [string, number | undefined][] = [
    ['1', 1_000_000_000],
    ['0.5', 500_000_000],
    ['.25', 250_000_000],
    ['2.000000001', 2_000_000_001],
    ['0.5000000000', 500_000_000],
    ['0.0000000001', undefined],
    ['abc', undefined],
    ['', undefined],
  ];
  for (const [text, nano] of cpus) t.equal(cpusToNano(text), nano, `cpus ${text}`);
});

t.test('deploy: mode, resources, restart, update and rollback, placement, endpoint', async (t) => {
  const stack = convert({
    services: {
      web: {
        image: 'nginx',
        ports: ['8080:80', { target: 443, published: 8443, mode: 'host' }, '53:53/udp', '9000'],
        deploy: {
          replicas: 3,
          resources: { limits: { cpus: '1.5', memory: '1G' }, reservations: { cpus: 0.1, memory: '64M' } },
          restart_policy: { condition: 'on-failure', max_attempts: 3 },
          update_config: { parallelism: 2 },
          rollback_config: { delay: '1s', failure_action: 'continue', max_failure_ratio: 0.5 },
          placement: {
            constraints: ['node.role == worker'],
            preferences: [{ spread: 'node.labels.zone' }],
            max_replicas_per_node: 2,
          },
        },
      },
      agent: { image: 'agent', deploy: { mode: 'global', endpoint_mode: 'dnsrr' } },
    },
  });
  const web = service(stack, 'web').spec;
  t.same(web.Mode, { Replicated: { Replicas: 3 } });
  t.same(web.TaskTemplate['Resources'], {
    Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 1024 ** 3 },
    Reservations: { NanoCPUs: 100_000_000, MemoryBytes: 64 * 1024 ** 2 },
  });
  t.same(web.TaskTemplate['RestartPolicy'], { Condition: 'on-failure', MaxAttempts: 3 });
  t.same(web.TaskTemplate['Placement'], {
    Constraints: ['node.role == worker'],
    Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
    MaxReplicas: 2,
  });
  t.same(web['UpdateConfig'], { Parallelism: 2, MaxFailureRatio: 0, Order: 'stop-first' });
  t.same(web['RollbackConfig'], {
    Parallelism: 1,
    Delay: 1_000_000_000,
    FailureAction: 'continue',
    MaxFailureRatio: 0.5,
    Order: 'stop-first',
  });
  t.same(
    web['EndpointSpec'],
    {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 9000, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
      ],
    },
    'sorted by published port, then target, as docker sorts them',
  );
  const agent = service(stack, 'agent').spec;
  t.same(agent.Mode, { Global: {} });
  t.same(agent['EndpointSpec'], { Mode: 'dnsrr' });
  t.notOk(agent['UpdateConfig']);
  t.notOk(agent.TaskTemplate['Resources']);
  t.notOk(agent.TaskTemplate['Placement']);
});

t.test('zero and empty values are left out, as the engine reports them back', async (t) => {
  const web = service(
    convert({
      services: {
        web: {
          image: 'nginx',
          command: [],
          healthcheck: { test: [], interval: '0', retries: 0 },
          deploy: { resources: { limits: { cpus: '0', memory: '0' } }, placement: { constraints: [] } },
        },
      },
    }),
    'web',
  );
  t.same(containerOf(web), {
    Image: 'nginx',
    Labels: { 'com.docker.stack.namespace': 'app' },
    Healthcheck: {},
  });
  t.notOk(web.spec.TaskTemplate['Resources']);
  t.notOk(web.spec.TaskTemplate['Placement']);
  const raw: ComposeFile = { version: '3.8', services: { web: {} } };
  t.same(
    errorsOf(() => toDesiredStack('app', raw, NO_INPUTS)),
    ['services.web.image: is required'],
  );
});

t.test('mounts: bind, named volumes scoped and labelled, external, anonymous, tmpfs', async (t) => {
  const stack = convert({
    services: {
      web: {
        image: 'nginx',
        volumes: [
          '/srv/www:/usr/share/nginx/html:ro',
          { type: 'bind', source: '/var/run/x.sock', target: '/x.sock', bind: { propagation: 'rslave' } },
          'data:/data:nocopy',
          'tuned:/tuned',
          'shared:/shared',
          '/cache',
          { type: 'tmpfs', target: '/tmp', tmpfs: { size: 65536 } },
        ],
      },
    },
    volumes: {
      data: null,
      tuned: { driver: 'local', driver_opts: { type: 'nfs', o: 'addr=10.0.0.1' }, labels: { backup: 'daily' } },
      shared: { external: true, name: 'team-data' },
    },
  });
  t.same(containerOf(service(stack, 'web'))['Mounts'], [
    { Type: 'bind', Source: '/srv/www', Target: '/usr/share/nginx/html', ReadOnly: true },
    { Type: 'bind', Source: '/var/run/x.sock', Target: '/x.sock', BindOptions: { Propagation: 'rslave' } },
    {
      Type: 'volume',
      Source: 'app_data',
      Target: '/data',
      VolumeOptions: { NoCopy: true, Labels: { 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' } },
    },
    {
      Type: 'volume',
      Source: 'app_tuned',
      Target: '/tuned',
      VolumeOptions: {
        Labels: { backup: 'daily', 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' },
        DriverConfig: { Name: 'local', Options: { type: 'nfs', o: 'addr=10.0.0.1' } },
      },
    },
    { Type: 'volume', Source: 'team-data', Target: '/shared', VolumeOptions: {} },
    { Type: 'volume', Target: '/cache' },
    { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 65536 } },
  ]);
  t.same(stack.volumes, [
    {
      name: 'app_data',
      key: 'data',
      external: false,
      create: {
        Name: 'app_data',
        Driver: 'local',
        Labels: { 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' },
      },
    },
    { name: 'team-data', key: 'shared', external: true },
    {
      name: 'app_tuned',
      key: 'tuned',
      external: false,
      create: {
        Name: 'app_tuned',
        Driver: 'local',
        DriverOpts: { type: 'nfs', o: 'addr=10.0.0.1' },
        Labels: { backup: 'daily', 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' },
      },
    },
  ]);
});

t.test('secrets and configs: references by name with file target, uid, gid, mode; data stays wrapped', async (t) => {
  const stack = convert(
    {
      services: {
        web: {
          image: 'nginx',
          secrets: ['db_password', { source: 'tls', target: '/etc/tls/key.pem', uid: '101', gid: '102', mode: 0o400 }],
          configs: [{ source: 'nginx', target: '/etc/nginx/nginx.conf' }],
        },
      },
      secrets: { db_password: { file: './db.txt', labels: ['purpose=db'] }, tls: { file: 'tls.key' } },
      configs: { nginx: { file: 'nginx.conf' } },
    },
    {
      envFiles: {},
      files: {
        './db.txt': Buffer.from('s3cret\n'),
        'tls.key': Buffer.from('KEY'),
        'nginx.conf': Buffer.from('events {}'),
      },
    },
  );
  const spec = containerOf(service(stack, 'web'));
  t.same(spec['Secrets'], [
    { File: { Name: 'db_password', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: 'app_db_password' },
    { File: { Name: '/etc/tls/key.pem', UID: '101', GID: '102', Mode: 0o400 }, SecretID: '', SecretName: 'app_tls' },
  ]);
  t.same(spec['Configs'], [
    { File: { Name: '/etc/nginx/nginx.conf', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: '', ConfigName: 'app_nginx' },
  ]);
  const secret = stack.secrets[0]!;
  t.match(secret, {
    kind: 'secret',
    name: 'app_db_password',
    key: 'db_password',
    external: false,
    labels: { purpose: 'db', 'com.docker.stack.namespace': 'app', 'minicloud.managed': 'true' },
  });
  t.equal(secret.data!.reveal().toString(), 's3cret\n');
  t.equal(
    secret.labels['minicloud.content-hash'],
    createHash('sha256').update('s3cret\n').digest('hex'),
    "the content's hash, so a changed file is seen at the next deploy",
  );
  t.notMatch(JSON.stringify(stack), /s3cret/, 'secret contents never reach JSON or logs');
  t.equal(stack.configs[0]!.data!.reveal().toString(), 'events {}');
  t.same(
    errorsOf(() => convert({ services: { web: { image: 'nginx' } }, secrets: { s: { file: 'gone.txt' } } })),
    ['secrets.s.file: gone.txt was not read (see readStackInputs)'],
  );
});

t.test('container settings: healthcheck, user, dir, hostname, caps, labels, stop grace', async (t) => {
  const stack = convert({
    services: {
      web: {
        image: 'nginx',
        healthcheck: { test: 'curl -f http://localhost/ || exit 1', interval: '30s', retries: 3 },
        labels: { 'com.example': 'x' },
        working_dir: '/app',
        user: 'app',
        hostname: 'web1',
        stop_grace_period: '1m',
        init: true,
        tty: true,
        read_only: true,
        cap_add: ['net_admin', 'CAP_SYS_TIME', 'chown'],
        cap_drop: ['ALL', 'CHOWN'],
      },
      off: { image: 'nginx', healthcheck: { disable: true } },
    },
  });
  t.same(containerOf(service(stack, 'web')), {
    Image: 'nginx',
    Labels: { 'com.docker.stack.namespace': 'app', 'com.example': 'x' },
    Hostname: 'web1',
    Dir: '/app',
    User: 'app',
    Init: true,
    TTY: true,
    ReadOnly: true,
    StopGracePeriod: 60_000_000_000,
    Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 30_000_000_000, Retries: 3 },
    CapabilityAdd: ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_TIME'],
    CapabilityDrop: ['ALL'],
  });
  t.same(containerOf(service(stack, 'off'))['Healthcheck'], { Test: ['NONE'] });
});

t.test('the platform labels win, and the hash follows the spec', async (t) => {
  const doc = {
    services: {
      web: {
        image: 'nginx:1',
        deploy: {
          labels: { 'minicloud.managed': 'false', 'com.docker.stack.namespace': 'other', 'minicloud.spec-hash': 'x' },
        },
      },
    },
  };
  const a = service(convert(doc), 'web');
  t.match(a.spec.Labels, {
    'minicloud.managed': 'true',
    'com.docker.stack.namespace': 'app',
    'minicloud.spec-hash': a.hash,
  });
  t.match(a.hash, /^[0-9a-f]{64}$/);
  t.equal(a.hash, expectedHash(a.spec));
  t.equal(service(convert(doc), 'web').hash, a.hash, 'same input, same hash');
  const changed = structuredClone(doc);
  changed.services.web.image = 'nginx:2';
  t.not(service(convert(changed), 'web').hash, a.hash, 'a changed image changes the hash');
  t.not(service(convert(doc, NO_INPUTS, 'other'), 'web').hash, a.hash, 'so does another stack name');
});

t.test('an env value or label with quotes, newlines and $$ reaches the spec exactly', async (t) => {
  const nasty = 'a "double" \'single\' `tick`\nnew line\r\n\ttab $$ $HOME ${X:-y} \\ # end';
  // Through the compiler: manifest env -> compose YAML (escaped) -> load -> spec.
  const manifest = manifestFromText('name: app', 'cloud_manifest.yml');
  const compiled = compileStack(manifest, { image: 'nginx', env: { NASTY: nasty } });
  const viaCompiler = toDesiredStack('app', composeFromText(compiled.yaml, 'stack.yml', { HOME: '/root' }), NO_INPUTS);
  t.ok(containerOf(service(viaCompiler, 'web'))['Env'].includes(`NASTY=${nasty}`), 'env value from the compiler');
  // Through a hand-written file: values and labels escaped the way the compiler escapes them.
  const text = yaml.dump({
    services: {
      web: {
        image: 'nginx',
        environment: { NASTY: nasty.replace(/\$/g, '$$$$') },
        labels: { note: nasty.replace(/\$/g, '$$$$') },
        deploy: { labels: { note: nasty.replace(/\$/g, '$$$$') } },
      },
    },
  });
  const stack = toDesiredStack('app', composeFromText(text, 'stack.yml', { HOME: '/root', X: 'x' }), NO_INPUTS);
  const web = service(stack, 'web');
  t.same(containerOf(web)['Env'], [`NASTY=${nasty}`]);
  t.equal(containerOf(web)['Labels']['note'], nasty);
  t.equal(web.spec.Labels['note'], nasty);
});

t.test('stack and service names must make valid swarm names', async (t) => {
  const compose = validateCompose({ services: { web: { image: 'nginx' } } });
  t.same(
    errorsOf(() => toDesiredStack('bad name', compose, NO_INPUTS)),
    ['stack name "bad name" must be letters, digits, - and _'],
  );
  t.same(
    errorsOf(() => toDesiredStack('a'.repeat(60), compose, NO_INPUTS)),
    [`services.web: makes the service name ${'a'.repeat(60)}_web, longer than 63 characters`],
  );
});

t.test('readStackInputs reads env files and secret/config files relative to the compose file', async (t) => {
  const dir = t.testdir({
    'app.env': 'A=1\n',
    conf: { 'nginx.conf': 'events {}' },
    'key.txt': 'k',
  });
  const compose = validateCompose({
    services: {
      web: { image: 'nginx', env_file: ['app.env'], configs: ['nginx'] },
      worker: { image: 'nginx', env_file: 'app.env' },
    },
    secrets: { key: { file: `${dir}/key.txt` }, ext: { external: true } },
    configs: { nginx: { file: './conf/nginx.conf' } },
  });
  const inputs = await readStackInputs(compose, dir, { HOME: '/root' });
  t.same(inputs.envFiles, { 'app.env': 'A=1\n' });
  t.same(Object.keys(inputs.files).sort(), ['./conf/nginx.conf', `${dir}/key.txt`]);
  t.equal(inputs.files['./conf/nginx.conf']!.toString(), 'events {}');
  t.same(inputs.env, { HOME: '/root' });
  t.same(containerOf(service(toDesiredStack('app', compose, inputs), 'worker'))['Env'], ['A=1']);

  const broken = validateCompose({
    services: { web: { image: 'nginx', env_file: ['missing.env', 'conf'] } },
    secrets: { s: { file: 'nope.txt' } },
  });
  await t.rejects(readStackInputs(broken, dir), {
    code: 'MC_COMPOSE_INVALID',
    details: [
      { path: 'services.web.env_file[0]', message: `${dir}/missing.env does not exist` },
      { path: 'services.web.env_file[1]', message: `${dir}/conf is a directory` },
      { path: 'secrets.s.file', message: `${dir}/nope.txt does not exist` },
    ],
  });
});
