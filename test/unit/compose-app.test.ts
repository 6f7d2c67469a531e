import t from 'tap';
import yaml from 'js-yaml';
import {
  compileComposeApp,
  composeAppFromText,
  formatDetail,
  isMinicloudError,
  type ComposeFile,
} from '@minicloud/core';

// Apps from a plain compose file (issue 17): the x-minicloud extension, the allowlist of
// compose keys a tenant may use, and the stack the compose-app compiler makes of them.

const SHOP = `
services:
  front:
    image: registry.local:5000/shop-front:1
    environment: {MODE: "prod", PRICE: "5$$"}
    healthcheck: {test: [CMD, wget, -q, -O-, "http://127.0.0.1:8080/health"], interval: 10s}
  worker:
    image: registry.local:5000/shop-worker:1
    command: [node, worker.js]
    deploy: {replicas: 2, resources: {limits: {memory: 128M, cpus: "0.5"}}}
  cache:
    image: redis:7
    command: redis-server --save ""
    volumes: [cache-data:/data, {type: tmpfs, target: /tmp}]
volumes:
  cache-data:
x-minicloud:
  expose: [{service: front, proto: http, port: 8080}]
  needs: [database, storage]
  storage: {service: front, path: /srv/uploads}
  domains: [shop.example.com]
  private: [cache]
`;

const SETTINGS = { name: 'shop', dataDir: '/srv/mc', baseDomain: 'apps.example.net' };

/** The printed errors for a compose file, or [] when it is a valid app. */
function errorsOf(text: string): string[] {
  try {
    composeAppFromText(text);
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_COMPOSE_INVALID');
    return error.details.map(formatDetail);
  }
}

const oneService = (service: string, top = '') =>
  `services:\n  front:\n    image: nginx:1\n${service
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n${top}`;

t.test('a three-service project compiles to the stack a manifest app would get', async (t) => {
  const app = composeAppFromText(SHOP, 'compose.yml');
  t.same(app.expose, [{ service: 'front', proto: 'http', port: 8080 }]);
  t.same(app.needs, ['database', 'storage']);
  t.same(app.storage, { service: 'front', path: '/srv/uploads' });
  const stack = compileComposeApp(app, SETTINGS);
  const c = stack.compose;
  t.equal(stack.name, 'shop');
  t.equal(stack.routedService, 'front');
  t.same(stack.domains, ['shop.apps.example.net', 'shop.example.com']);
  t.equal(stack.credentialsFile, '/srv/mc/secrets/apps/shop.env');
  t.equal(stack.storageDir, '/srv/mc/storage/shop');
  t.same(Object.keys(c.services), ['front', 'worker', 'cache']);

  // Only front is routed: on the proxy network, with the labels the proxy reads.
  t.same(Object.keys(c.services.front!.networks!), ['proxy', 'app', 'services']);
  t.same(Object.keys(c.services.worker!.networks!), ['app', 'services']);
  t.same(Object.keys(c.services.cache!.networks!), ['app'], 'the private sidecar is on the app network only');
  const frontLabels = c.services.front!.deploy!.labels!;
  t.equal(frontLabels['minicloud.http.port'], '8080');
  t.equal(frontLabels['minicloud.domains'], 'shop.apps.example.net,shop.example.com');
  t.equal(frontLabels['minicloud.image'], 'registry.local:5000/shop-front:1');
  t.equal(frontLabels['minicloud.role'], 'web');
  for (const svc of ['worker', 'cache']) {
    t.notOk(c.services[svc]!.deploy!.labels!['minicloud.domains'], `${svc} is not routed`);
    t.equal(c.services[svc]!.deploy!.labels!['minicloud.role'], 'runner');
  }

  // The needs' env: front and worker read the env file; the private cache does not.
  for (const svc of ['front', 'worker']) t.same(c.services[svc]!.env_file, ['/srv/mc/secrets/apps/shop.env']);
  t.notOk(c.services.cache!.env_file, 'no credentials for the private sidecar');
  t.equal(c.services.front!.deploy!.labels!['minicloud.needs'], 'database,storage');
  t.notOk(c.services.cache!.deploy!.labels!['minicloud.needs']);

  // Storage: mounted for front only, which is pinned to the node holding it.
  t.same(c.services.front!.volumes, [{ type: 'bind', source: '/srv/mc/storage/shop', target: '/srv/uploads' }]);
  t.same(c.services.front!.deploy!.placement, { constraints: ['node.labels.minicloud.storage.shop == true'] });
  t.notOk(c.services.worker!.deploy!.placement);
  t.same(c.services.cache!.volumes, [
    { type: 'volume', source: 'cache-data', target: '/data' },
    { type: 'tmpfs', target: '/tmp' },
  ]);

  // The platform's deploy policy; the file's replicas and limits where the file may set them.
  t.equal(c.services.front!.deploy!.replicas, 1, 'the routed service is scaled by the settings');
  t.equal(c.services.worker!.deploy!.replicas, 2);
  t.same(c.services.worker!.deploy!.resources, { limits: { memory: '128M', cpus: '0.5' } });
  for (const svc of Object.values(c.services)) {
    t.equal(svc.deploy!.update_config!.order, 'start-first');
    t.equal(svc.deploy!.restart_policy!.condition, 'any');
    t.equal(svc.deploy!.labels!['minicloud.app'], 'shop');
  }
  t.same(c.networks, {
    proxy: { external: true, name: 'minicloud-proxy' },
    services: { external: true, name: 'minicloud-services' },
    app: { driver: 'overlay', labels: { 'minicloud.managed': 'true', 'minicloud.app': 'shop' } },
  });
  t.same(c.volumes, { 'cache-data': { labels: { 'minicloud.managed': 'true', 'minicloud.app': 'shop' } } });
  t.same(c.services.front!.healthcheck, {
    test: ['CMD', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/health'],
    interval: '10s',
  });
  t.same(c.services.front!.environment, { MODE: 'prod', PRICE: '5$$' }, 'a literal $ is written $$ again');
  t.notMatch(stack.yaml, /DATABASE_URL|password|x-minicloud/i);
});

t.test('the compiled yaml, pinned', async (t) => {
  const text = `services:\n  web:\n    image: nginx:1.27\n    command: echo $$HOME\nx-minicloud:\n  expose: [{service: web, proto: http, port: 80}]\n`;
  const stack = compileComposeApp(composeAppFromText(text), { name: 'site' });
  t.equal(
    stack.yaml,
    `# minicloud stack for app "site".
# Generated from the app compose file and its settings: change those, not this file.
# Holds no secrets: credentials come from the env_file outside the config repository.
version: "3.8"
services:
  web:
    image: "nginx:1.27"
    command: "echo $$HOME"
    networks:
      proxy: null
      app: null
    deploy:
      mode: "replicated"
      replicas: 1
      endpoint_mode: "vip"
      labels:
        minicloud.managed: "true"
        minicloud.app: "site"
        minicloud.role: "web"
        minicloud.domains: "site.minicloud.localhost"
        minicloud.http.port: "80"
        minicloud.image: "nginx:1.27"
      restart_policy:
        condition: "any"
        delay: "5s"
        window: "60s"
      update_config:
        parallelism: 1
        delay: "5s"
        order: "start-first"
        failure_action: "rollback"
        monitor: "30s"
        max_failure_ratio: 0
      rollback_config:
        parallelism: 1
        order: "start-first"
        failure_action: "pause"
        monitor: "30s"
networks:
  proxy:
    external: true
    name: "minicloud-proxy"
  app:
    driver: "overlay"
    labels:
      minicloud.managed: "true"
      minicloud.app: "site"
`,
  );
  t.equal(compileComposeApp(composeAppFromText(text), { name: 'site' }).yaml, stack.yaml, 'byte-identical twice');
  const loaded = yaml.load(stack.yaml) as ComposeFile;
  t.equal(loaded.services.web!.command, 'echo $$HOME');
});

t.test('every refused compose key is an error naming its path', async (t) => {
  const refused: [string, string][] = [
    ['build: .', 'services.front.build'],
    ['privileged: true', 'services.front.privileged'],
    ['network_mode: host', 'services.front.network_mode'],
    ['pid: host', 'services.front.pid'],
    ['ipc: host', 'services.front.ipc'],
    ['cap_add: [SYS_ADMIN]', 'services.front.cap_add'],
    ['devices: ["/dev/sda:/dev/sda"]', 'services.front.devices'],
    ['security_opt: [apparmor:unconfined]', 'services.front.security_opt'],
    ['extra_hosts: ["api:10.0.0.1"]', 'services.front.extra_hosts'],
    ['userns_mode: host', 'services.front.userns_mode'],
    ['ports: ["8080:80"]', 'services.front.ports'],
    ['ports: [80]', 'services.front.ports'],
    ['env_file: /etc/minicloud/secrets.env', 'services.front.env_file'],
    ['volumes: ["/var/run/docker.sock:/var/run/docker.sock"]', 'services.front.volumes[0]'],
    ['volumes: [{type: bind, source: /etc, target: /host-etc}]', 'services.front.volumes[0]'],
    ['networks: [default]', 'services.front.networks'],
    ['environment: [PATH_FROM_HOST]', 'services.front.environment.PATH_FROM_HOST'],
    ['environment: {DATABASE_URL: "mysql://x"}', 'services.front.environment.DATABASE_URL'],
    ['labels: {minicloud.domains: bank.example.com}', 'services.front.labels.minicloud.domains'],
    ['labels: [com.docker.stack.namespace=other]', 'services.front.labels.com.docker.stack.namespace'],
    ['deploy: {mode: global}', 'services.front.deploy.mode'],
    ['deploy: {placement: {constraints: [node.role == manager]}}', 'services.front.deploy.placement'],
    ['deploy: {labels: {minicloud.http.port: "1"}}', 'services.front.deploy.labels'],
    ['deploy: {endpoint_mode: dnsrr}', 'services.front.deploy.endpoint_mode'],
    ['deploy: {restart_policy: {condition: none}}', 'services.front.deploy.restart_policy'],
    ['deploy: {update_config: {order: stop-first}}', 'services.front.deploy.update_config'],
    ['deploy: {rollback_config: {order: stop-first}}', 'services.front.deploy.rollback_config'],
    ['deploy: {replicas: 1000}', 'services.front.deploy.replicas'],
    ['deploy: {resources: {reservations: {memory: 4G}}}', 'services.front.deploy.resources.reservations'],
    ['deploy: {resources: {limits: {memory: 1M}}}', 'services.front.deploy.resources.limits.memory'],
    ['secrets: [key]', 'services.front.secrets'],
    ['configs: [conf]', 'services.front.configs'],
  ];
  for (const [line, path] of refused) {
    const section = /^(secrets|configs): \[(\w+)\]$/.exec(line);
    const top = section ? `${section[1]}:\n  ${section[2]}: {file: /etc/shadow}\n` : '';
    const errors = errorsOf(oneService(line, top));
    t.ok(
      errors.some((e) => e.startsWith(`${path}: `)),
      `${line} -> ${path} (got ${errors.join(' | ')})`,
    );
  }
});

t.test("one run names every refused key: the loader's and the allowlist's", async (t) => {
  const errors = errorsOf(
    oneService('network_mode: host\nports: ["80:80"]\nenv_file: .env', 'x-minicloud: {needs: [x]}\n'),
  );
  t.same(
    errors.map((e) => e.slice(0, e.indexOf(':'))),
    ['services.front.network_mode', 'services.front.env_file', 'services.front.ports', 'x-minicloud.needs[0]'],
  );
});

t.test('top-level objects that could reach outside the app are refused by name', async (t) => {
  const refused: [string, string][] = [
    ['networks:\n  shared: {external: true, name: minicloud-services}', 'networks'],
    ['networks:\n  mine: {driver: overlay}', 'networks'],
    ['secrets:\n  key: {file: /etc/shadow}', 'secrets'],
    ['secrets:\n  key: {external: true, name: other_app_key}', 'secrets'],
    ['configs:\n  c: {file: ../../etc/passwd}', 'configs'],
    ['volumes:\n  data: {external: true, name: other_data}', 'volumes.data.external'],
    ['volumes:\n  data: {name: other_data}', 'volumes.data.name'],
    ['volumes:\n  data: {driver: local, driver_opts: {type: none, o: bind, device: /etc}}', 'volumes.data.driver_opts'],
    ['volumes:\n  data: {driver: local}', 'volumes.data.driver'],
    ['volumes:\n  data: {labels: {minicloud.app: other}}', 'volumes.data.labels.minicloud.app'],
  ];
  for (const [top, path] of refused) {
    const errors = errorsOf(`${oneService('command: x')}${top}\n`);
    t.ok(
      errors.some((e) => e.startsWith(`${path}: `)),
      `${top} -> ${path} (got ${errors.join(' | ')})`,
    );
  }
  t.same(errorsOf(`${oneService('volumes: [data:/data]')}volumes:\n  data: {labels: {team: shop}}\n`), []);
});

t.test('service names are DNS labels and not the platform services', async (t) => {
  t.match(errorsOf('services:\n  Front_1:\n    image: nginx:1\n'), [/^services\.Front_1: name must be a DNS label/]);
  t.match(errorsOf('services:\n  mariadb:\n    image: nginx:1\n'), [
    /^services\.mariadb: "mariadb" is the name of a platform service/,
  ]);
  t.match(errorsOf('services:\n  postgres:\n    image: postgres:16\n'), [/^services\.postgres: /]);
  t.match(errorsOf('services: {}\n'), ['services: must have at least one service']);
});

t.test('x-minicloud is checked against the services, with the manifest rules', async (t) => {
  const file = `services:\n  front: {image: nginx:1}\n  back: {image: nginx:1}\n`;
  const cases: [string, string][] = [
    [
      'expose: [{service: side, proto: http, port: 80}]',
      'expose[0].service: names no service of this file (front, back)',
    ],
    [
      'expose: [{service: front, proto: http, port: 80}, {service: back, proto: tcp, port: 81}]',
      "expose[1].service: must be front as in expose[0]: the proxy routes an app's domains to one service",
    ],
    [
      'expose: [{service: front, proto: http, port: 80}, {service: front, proto: http, port: 81}]',
      'expose[1].proto: only one http port can be exposed (the proxy routes to one)',
    ],
    [
      '{private: [front], expose: [{service: front, proto: http, port: 80}]}',
      'expose[0].service: front is private: a private service is not routed',
    ],
    ['{storage: {service: side}, needs: [storage]}', 'storage.service: names no service of this file (front, back)'],
    [
      '{storage: {service: back}, needs: [storage], private: [back]}',
      'storage.service: back is private: it gets no needs',
    ],
    ['storage: {service: front}', 'storage: is only used with needs: storage; add it to needs or remove this'],
    ['needs: [storage]', 'storage: is required with needs: storage: it names the service that mounts it'],
    [
      'needs: [database, postgres]',
      'needs: database and postgres both give DATABASE_URL: an app needs one or the other',
    ],
    ['needs: [mongodb]', 'needs[0]: must be one of: database, messagebus, storage, postgres, redis'],
    ['domains: [Not_A_Host]', 'domains[0]: must be a lowercase host name such as app.example.com'],
    ['private: [side]', 'private[0]: names no service of this file (front, back)'],
    ['exposes: []', 'exposes: is not a known field (did you mean "expose"?)'],
  ];
  for (const [ext, error] of cases) {
    const body = ext.startsWith('{') ? ext : `{${ext}}`;
    t.same(errorsOf(`${file}x-minicloud: ${body}\n`), [`x-minicloud.${error}`], ext);
  }
  t.same(errorsOf(`${file}x-minicloud: [front]\n`), ['x-minicloud: must be a mapping of x-minicloud fields']);
});

t.test('a tenant file sees no variable of the platform environment', async (t) => {
  process.env['MC_TEST_SECRET'] = 'leaked';
  const app = composeAppFromText(oneService('command: "echo ${MC_TEST_SECRET:-none} $$HOME"'));
  t.equal(app.compose.services.front!.command, 'echo none $HOME');
  delete process.env['MC_TEST_SECRET'];
});

t.test('settings: the name is required, reserved names and needs env are refused', async (t) => {
  const app = composeAppFromText(oneService('command: x'));
  const settingsErrors = (settings: unknown) => {
    try {
      compileComposeApp(app, settings);
      return [];
    } catch (error) {
      if (!isMinicloudError(error)) throw error;
      return error.details.map(formatDetail);
    }
  };
  t.same(settingsErrors({}), ['name: is required: a compose file does not name its app']);
  t.match(settingsErrors({ name: 'minicloud' }), [/^name: "minicloud" is reserved/]);
  t.same(settingsErrors({ name: 'a', env: { DATABASE_URL: 'x' } }), [
    'env.DATABASE_URL: is set by the platform from the app needs',
  ]);
  t.match(settingsErrors({ name: 'a', image: 'x:1' }), [/^image: is not a known field/]);
});
