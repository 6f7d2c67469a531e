import t from 'tap';
import yaml from 'js-yaml';
import {
  compileStack,
  isMinicloudError,
  formatDetail,
  manifestFromText,
  renderCredentialsEnv,
  databaseUrl,
  amqpUrl,
  Sensitive,
  parseEnvFile,
  type ComposeFile,
} from '@minicloud/core';

const IMAGE = 'registry.local:5000/app:1';
const m = (text: string) => manifestFromText(text, 'cloud_manifest.yml');
const web = m('name: app\nexpose: [{proto: http, port: 8080}]');

function settingsErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isMinicloudError(error)) return error.details.map(formatDetail);
    throw error;
  }
  return [];
}

t.test('the web service joins the proxy network only when it exposes a port', async (t) => {
  const exposed = compileStack(web, { image: IMAGE }).compose;
  t.same(Object.keys(exposed.services.web!.networks!), ['proxy', 'app']);
  t.same(exposed.networks!['proxy'], { external: true, name: 'minicloud-proxy' });
  t.equal(compileStack(web, { image: IMAGE }).routedService, 'web', 'the proxy routes to web');
  t.notOk(compileStack(m('name: app'), { image: IMAGE }).routedService, 'nothing routed without an exposed port');
  const hidden = compileStack(m('name: app'), { image: IMAGE }).compose;
  t.same(Object.keys(hidden.services.web!.networks!), ['app']);
  t.notOk(hidden.networks!['proxy']);
  const custom = compileStack(web, { image: IMAGE, proxyNetwork: 'edge', servicesNetwork: 'backend' }).compose;
  t.equal(custom.networks!['proxy']!.name, 'edge');
});

t.test('runners are their own services on the private app network, with no ports', async (t) => {
  const app = m(
    'name: app\nexpose: [{proto: http, port: 80}]\nrunners: [{name: worker, command: [node, w.js], replicas: 3}, {name: cron, command: "run $X"}]',
  );
  const c = compileStack(app, { image: IMAGE }).compose;
  t.same(Object.keys(c.services), ['web', 'worker', 'cron']);
  t.same(c.services.worker!.command, ['node', 'w.js']);
  t.equal(c.services.worker!.deploy!.replicas, 3);
  t.equal(c.services.cron!.command, 'run $$X', 'dollars escaped against compose interpolation');
  t.same(Object.keys(c.services.worker!.networks!), ['app']);
  t.notOk(c.services.worker!.ports);
  t.equal(c.services.worker!.deploy!.labels!['minicloud.role'], 'runner');
  t.equal(c.services.worker!.image, IMAGE);
  t.same(c.networks!['app'], { driver: 'overlay', labels: { 'minicloud.managed': 'true', 'minicloud.app': 'app' } });
});

t.test('database and messagebus needs join the services network and read credentials from an env_file', async (t) => {
  for (const need of ['database', 'messagebus']) {
    const stack = compileStack(m(`name: app\nneeds: [${need}]\nrunners: [{name: w, command: x}]`), {
      image: IMAGE,
      dataDir: '/srv/mc',
    });
    const c = stack.compose;
    t.equal(stack.credentialsFile, '/srv/mc/secrets/apps/app.env');
    for (const svc of ['web', 'w']) {
      t.same(c.services[svc]!.env_file, ['/srv/mc/secrets/apps/app.env'], `${need}: ${svc} env_file`);
      t.ok('services' in c.services[svc]!.networks!, `${need}: ${svc} on services network`);
    }
    t.same(c.networks!['services'], { external: true, name: 'minicloud-services' });
    t.notMatch(stack.yaml, /DATABASE_URL|AMQP_URL|password/i, 'no credentials in the stack text');
  }
  const none = compileStack(m('name: app\nneeds: [storage]'), { image: IMAGE });
  t.notOk(none.credentialsFile);
  t.notOk(none.compose.services.web!.env_file);
  t.notOk(none.compose.networks!['services']);
});

t.test('the credentials env file carries DATABASE_URL and AMQP_URL, escaped, and stays wrapped', async (t) => {
  const password = new Sensitive('p@ss:w/rd');
  const db = databaseUrl({ user: 'app', password, host: 'mariadb', port: 3306, path: 'app' });
  const mq = amqpUrl({ user: 'app', password, host: 'rabbitmq', port: 5672, path: 'app' });
  const env = renderCredentialsEnv({ DATABASE_URL: db, AMQP_URL: mq });
  t.equal(String(env), '[redacted]');
  t.equal(
    env.reveal(),
    'DATABASE_URL=mysql://app:p%40ss%3Aw%2Frd@mariadb:3306/app\nAMQP_URL=amqp://app:p%40ss%3Aw%2Frd@rabbitmq:5672/app\n',
  );
  const parsed = new URL(db.reveal());
  t.equal(decodeURIComponent(parsed.password), 'p@ss:w/rd', 'the URL parses back to the password');
});

t.test('storage: a bind mount under the data dir, at the manifest path, pinned to its node', async (t) => {
  const stack = compileStack(
    m('name: app\nneeds: [storage]\nstorage: {path: /var/lib/app}\nrunners: [{name: w, command: x}]'),
    { image: IMAGE },
  );
  t.equal(stack.storageDir, '/data/minicloud/storage/app');
  for (const svc of ['web', 'w']) {
    t.same(stack.compose.services[svc]!.volumes, [
      { type: 'bind', source: '/data/minicloud/storage/app', target: '/var/lib/app' },
    ]);
    t.same(stack.compose.services[svc]!.deploy!.placement, {
      constraints: ['node.labels.minicloud.storage.app == true'],
    });
  }
  t.notOk(compileStack(web, { image: IMAGE }).compose.services.web!.deploy!.placement);
});

t.test('deploy settings: replicas, endpoint mode, resources, restart, rolling update with rollback', async (t) => {
  const app = m('name: app\nresources: {memory: 64M, cpus: 0.5}');
  const d = compileStack(app, { image: IMAGE, replicas: 3, endpointMode: 'dnsrr' }).compose.services.web!.deploy!;
  t.equal(d.replicas, 3);
  t.equal(d.endpoint_mode, 'dnsrr');
  t.same(d.resources, { limits: { memory: '64M', cpus: '0.5' } });
  t.equal(d.restart_policy!.condition, 'any');
  t.match(d.update_config, { order: 'start-first', failure_action: 'rollback', parallelism: 1 });
  t.match(d.rollback_config, { order: 'start-first' });
  const dflt = compileStack(web, { image: IMAGE }).compose.services.web!.deploy!;
  t.equal(dflt.replicas, 1);
  t.equal(dflt.endpoint_mode, 'vip');
  t.notOk(dflt.resources);
});

t.test('healthchecks: http through curl or wget on loopback, commands as CMD or CMD-SHELL', async (t) => {
  const http = compileStack(
    m('name: app\nexpose: [{proto: http, port: 8080}]\nhealthcheck: {http: /health, interval: 5s}'),
    { image: IMAGE },
  );
  t.same(http.compose.services.web!.healthcheck, {
    test: [
      'CMD-SHELL',
      "curl -fsS -o /dev/null 'http://127.0.0.1:8080/health' || wget -q -O /dev/null 'http://127.0.0.1:8080/health' || exit 1",
    ],
    interval: '5s',
    timeout: '5s',
    retries: 3,
    start_period: '10s',
  });
  const list = compileStack(m('name: app\nhealthcheck: {command: [pg_isready, -q], timeout: 2s}'), { image: IMAGE });
  t.same(list.compose.services.web!.healthcheck!.test, ['CMD', 'pg_isready', '-q']);
  t.equal(list.compose.services.web!.healthcheck!.timeout, '2s');
  const shell = compileStack(m('name: app\nhealthcheck: {command: "test -f /tmp/$READY"}'), { image: IMAGE });
  t.same(shell.compose.services.web!.healthcheck!.test, ['CMD-SHELL', 'test -f /tmp/$$READY']);
  t.notOk(compileStack(web, { image: IMAGE }).compose.services.web!.healthcheck);
});

t.test('labels the proxy and the platform read back', async (t) => {
  const stack = compileStack(
    m('name: app\nexpose: [{proto: http, port: 8080}, {proto: tcp, port: 9000}]\nneeds: [database]'),
    {
      image: IMAGE,
      domains: ['app.example.com', 'app.minicloud.localhost'],
    },
  );
  t.same(stack.domains, ['app.minicloud.localhost', 'app.example.com'], 'default domain first, no duplicates');
  t.same(stack.compose.services.web!.deploy!.labels, {
    'minicloud.managed': 'true',
    'minicloud.app': 'app',
    'minicloud.role': 'web',
    'minicloud.needs': 'database',
    'minicloud.domains': 'app.minicloud.localhost,app.example.com',
    'minicloud.http.port': '8080',
    'minicloud.tcp.ports': '9000',
    'minicloud.image': IMAGE,
  });
  const based = compileStack(web, { image: IMAGE, baseDomain: 'apps.example.org', name: 'renamed' });
  t.equal(based.name, 'renamed');
  t.same(based.domains, ['renamed.apps.example.org']);
});

t.test('env: manifest then operator settings, sorted, dollars escaped, any character kept', async (t) => {
  const app = m('name: app\nenv: {B: "1", A: "x"}');
  const tricky = 'a "quoted" $HOME\n\'single\' `tick` ${X} \\ # not a comment: yes';
  const stack = compileStack(app, { image: IMAGE, env: { B: 'override', Z: tricky } });
  t.same(Object.keys(stack.compose.services.web!.environment!), ['A', 'B', 'Z']);
  t.equal(stack.compose.services.web!.environment!['B'], 'override');
  const reparsed = yaml.load(stack.yaml) as ComposeFile;
  const roundTrip = reparsed.services.web!.environment!['Z']!.replace(/\$\$/g, '$');
  t.equal(roundTrip, tricky, 'the YAML text carries the value exactly (after compose un-escapes $$)');
});

t.test("secretEnv: the stack names the operator's variables' env file, never their values", async (t) => {
  const app = m('name: app\nexpose: [{proto: http, port: 80}]\nenv: {SHARED: "from-image", PLAIN: "1"}');
  const settings = { image: IMAGE, dataDir: '/srv/mc', secretEnv: ['SHARED', 'API_KEY'] };
  const stack = compileStack(app, settings);
  t.equal(stack.credentialsFile, '/srv/mc/secrets/apps/app.env', 'an env file even without a database');
  t.same(stack.compose.services.web!.env_file, ['/srv/mc/secrets/apps/app.env']);
  t.same(
    stack.compose.services.web!.environment,
    { PLAIN: '1' },
    "the image's own value stays; one the operator overrides is left to the env file",
  );
  t.notMatch(stack.yaml, /API_KEY|SHARED|from-image/);
  t.equal(compileStack(app, settings).yaml, stack.yaml, 'deterministic');
  t.notOk(compileStack(app, { image: IMAGE }).credentialsFile, 'no env file when nothing needs one');
  t.same(
    settingsErrors(() => compileStack(app, { image: IMAGE, secretEnv: ['AMQP_URL', 'bad-name'] })),
    ['secretEnv[1]: is not a valid environment variable name (letters, digits and _, at most 128)'],
  );
  t.same(
    settingsErrors(() => compileStack(app, { image: IMAGE, secretEnv: ['AMQP_URL'] })),
    ['env.AMQP_URL: is set by the platform from the app needs'],
  );
});

t.test('the env file: credentials, then the env values in name order; a line break is refused', async (t) => {
  const text = renderCredentialsEnv(
    { DATABASE_URL: new Sensitive('mysql://u:p@mariadb:3306/db') },
    { B: new Sensitive('two $HOME "q" # x '), A: new Sensitive('') },
  );
  t.equal(text.reveal(), 'DATABASE_URL=mysql://u:p@mariadb:3306/db\nA=\nB=two $HOME "q" # x \n');
  t.same(parseEnvFile(text.reveal(), 'app.env'), {
    DATABASE_URL: 'mysql://u:p@mariadb:3306/db',
    A: '',
    B: 'two $HOME "q" # x ',
  });
  t.same(
    settingsErrors(() =>
      renderCredentialsEnv(
        {},
        { KEY: new Sensitive('-----BEGIN\nx'), OK: new Sensitive('y'), CR: new Sensitive('a\r') },
      ),
    ),
    [
      'env.KEY: must be one line: an env file cannot hold a line break',
      'env.CR: must be one line: an env file cannot hold a line break',
    ],
  );
});

t.test('strings that YAML 1.1 would read as booleans or dates stay strings', async (t) => {
  const stack = compileStack(m('name: app\nenv: {A: "yes", B: "on", C: "2024-01-01", D: "0x1F", "Y": "n"}'), {
    image: IMAGE,
  });
  for (const text of ['A: "yes"', 'B: "on"', 'C: "2024-01-01"', 'D: "0x1F"', '"Y": "n"']) t.match(stack.yaml, text);
});

t.test('bad settings are refused with the field named, before anything is compiled', async (t) => {
  t.same(
    settingsErrors(() =>
      compileStack(web, {
        image: 'Bad Image',
        domains: ['ok.example.com', 'evil.com;rm -rf /', 'UPPER.example.com'],
        replicas: -1,
        endpointMode: 'ipvs',
        dataDir: '../etc',
        env: { 'BAD-NAME': 'x' },
        colour: 'red',
      }),
    ),
    [
      'colour: is not a known field',
      'image: must be an image reference such as registry:5000/app:1.0',
      'domains[1]: must be a lowercase host name such as app.example.com',
      'domains[2]: must be a lowercase host name such as app.example.com',
      'replicas: must be an integer from 0 to 100',
      'endpointMode: must be one of: vip, dnsrr',
      'dataDir: must be an absolute path of letters, digits and ._- segments',
      'env.BAD-NAME: is not a valid environment variable name (letters, digits and _, at most 128)',
    ],
  );
  t.same(
    settingsErrors(() => compileStack(web, {})),
    ['image: is required'],
  );
  t.same(
    settingsErrors(() => compileStack(web, { image: IMAGE, name: 'admin' })),
    [
      'name: "admin" is reserved by the platform (minicloud, admin, api, mariadb, node-agent, postgres, proxy, rabbitmq, redis, registry)',
    ],
  );
  t.same(
    settingsErrors(() => compileStack(m('name: registry'), { image: IMAGE })),
    [
      'manifest.name: "registry" is reserved by the platform (minicloud, admin, api, mariadb, node-agent, postgres, proxy, rabbitmq, redis, registry)',
    ],
  );
  // The management stack's name: app minicloud's runner api would be the platform's minicloud_api.
  t.same(
    settingsErrors(() => compileStack(m('name: minicloud\nrunners: [{name: worker, command: x}]'), { image: IMAGE })),
    [
      'manifest.name: "minicloud" is reserved by the platform (minicloud, admin, api, mariadb, node-agent, postgres, proxy, rabbitmq, redis, registry)',
    ],
  );
  t.same(
    settingsErrors(() => compileStack(web, { image: IMAGE, name: 'minicloud' })),
    [
      'name: "minicloud" is reserved by the platform (minicloud, admin, api, mariadb, node-agent, postgres, proxy, rabbitmq, redis, registry)',
    ],
  );
  t.same(
    settingsErrors(() => compileStack(web, { image: IMAGE, env: { DATABASE_URL: 'x' } })),
    ['env.DATABASE_URL: is set by the platform from the app needs'],
  );
});

t.test('image references that docker accepts are accepted', async (t) => {
  for (const image of [
    'nginx',
    'nginx:1.25',
    'library/nginx:latest',
    '10.77.0.1:5000/hello:1',
    'ghcr.io/o/r/app:v1.2.3-rc.1',
    `app@sha256:${'a'.repeat(64)}`,
  ]) {
    t.same(
      settingsErrors(() => compileStack(web, { image })),
      [],
      image,
    );
  }
});
