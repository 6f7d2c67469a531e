import t from 'tap';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { PLATFORM_SERVICE_NAMES } from '@minicloud/core';
import { manifestErrors } from '../helpers/manifest-errors.js';

const base = { name: 'myapp' };

t.test('valid manifests, one per field', async (t) => {
  const valid: Record<string, unknown>[] = [
    base,
    { ...base, expose: [{ proto: 'http', port: 80 }] },
    {
      ...base,
      expose: [
        { proto: 'http', port: 1 },
        { proto: 'tcp', port: 65535 },
      ],
    },
    { ...base, needs: ['database', 'messagebus', 'storage'] },
    { ...base, env: { A: 'x', B_2: 3, _C: true } },
    {
      ...base,
      runners: [
        { name: 'worker', command: 'node w.js' },
        { name: 'cron', command: ['a', 'b'], replicas: 0 },
      ],
    },
    { ...base, expose: [{ proto: 'http', port: 80 }], healthcheck: { http: '/health?x=1', interval: '1m30s' } },
    { ...base, healthcheck: { command: 'test -f /ok', timeout: '3s', retries: 2, start_period: '500ms' } },
    { ...base, resources: { memory: '128M', cpus: 0.5 } },
    { ...base, resources: { memory: '1g' } },
    { ...base, needs: ['storage'], storage: { path: '/var/lib/app' } },
    { name: 'a' },
    { name: 'a'.repeat(40) },
  ];
  for (const doc of valid) t.same(manifestErrors(doc), [], JSON.stringify(doc));
});

t.test('each rule names the field and the rule', async (t) => {
  const cases: [unknown, string[]][] = [
    [{}, ['name: is required']],
    ['just a string', ['must be a mapping of manifest fields']],
    [{ name: 'My_App' }, [expectLabel('name', 40)]],
    [{ name: 'a'.repeat(41) }, [expectLabel('name', 40)]],
    [{ name: 'app-' }, [expectLabel('name', 40)]],
    [{ ...base, expose: [{ proto: 'http', port: 0 }] }, ['expose[0].port: must be an integer from 1 to 65535']],
    [{ ...base, expose: [{ proto: 'http', port: 65536 }] }, ['expose[0].port: must be an integer from 1 to 65535']],
    [{ ...base, expose: [{ proto: 'http', port: '80' }] }, ['expose[0].port: must be an integer from 1 to 65535']],
    [{ ...base, expose: [{ proto: 'udp', port: 53 }] }, ['expose[0].proto: must be one of: http, tcp']],
    [{ ...base, expose: [{ port: 80 }] }, ['expose[0].proto: is required']],
    [
      {
        ...base,
        expose: [
          { proto: 'tcp', port: 80 },
          { proto: 'http', port: 80 },
        ],
      },
      ['expose[1].port: port 80 is exposed twice'],
    ],
    [
      {
        ...base,
        expose: [
          { proto: 'http', port: 80 },
          { proto: 'http', port: 81 },
        ],
      },
      ['expose[1].proto: only one http port can be exposed (the proxy routes to one)'],
    ],
    [{ ...base, needs: ['cache'] }, ['needs[0]: must be one of: database, messagebus, storage, postgres, redis']],
    [{ ...base, needs: ['database', 'database'] }, ['needs: must be a list of distinct needs']],
    [
      { ...base, env: { '1BAD': 'x' } },
      ['env.1BAD: is not a valid environment variable name (letters, digits and _, not starting with a digit)'],
    ],
    [{ ...base, env: { A: ['x'] } }, ['env.A: must be a string, number or boolean']],
    [
      { ...base, env: { DATABASE_URL: 'x' } },
      ['env.DATABASE_URL: is set by the platform from needs: database or postgres; remove it'],
    ],
    [{ ...base, env: { AMQP_URL: 'x' } }, ['env.AMQP_URL: is set by the platform from needs: messagebus; remove it']],
    [{ ...base, runners: [{ name: 'w' }] }, ['runners[0].command: is required']],
    [
      { ...base, runners: [{ name: 'w', command: [] }] },
      ['runners[0].command: must be a command: a string, or a non-empty list of strings'],
    ],
    [
      { ...base, runners: [{ name: 'w', command: 'x', replicas: 101 }] },
      ['runners[0].replicas: must be an integer from 0 to 100'],
    ],
    [
      { ...base, runners: [{ name: 'web', command: 'x' }] },
      ['runners[0].name: must be unique: "web" is the name of the main service'],
    ],
    [
      {
        ...base,
        runners: [
          { name: 'w', command: 'x' },
          { name: 'w', command: 'y' },
        ],
      },
      ['runners[1].name: must be unique: runner "w" is defined twice'],
    ],
    [
      {
        ...base,
        runners: [
          { name: 'worker', command: 'x' },
          { name: 'mariadb', command: 'x' },
        ],
      },
      [
        'runners[1].name: "mariadb" is the name of a platform service (api, mariadb, node-agent, postgres, proxy, rabbitmq, redis, registry); choose another',
      ],
    ],
    [{ ...base, healthcheck: { interval: '5s' } }, ['healthcheck: must have exactly one of http or command']],
    [{ ...base, healthcheck: { http: '/', command: 'x' } }, ['healthcheck: must have exactly one of http or command']],
    [{ ...base, healthcheck: { http: '/' } }, ['healthcheck.http: needs an exposed http port to check']],
    [
      { ...base, healthcheck: { command: 'x', interval: '5 seconds' } },
      ['healthcheck.interval: must be a duration such as 30s, 1m or 1m30s'],
    ],
    [{ ...base, healthcheck: { command: 'x', retries: 0 } }, ['healthcheck.retries: must be an integer from 1 to 100']],
    [{ ...base, resources: { memory: 'lots' } }, ['resources.memory: must be a size such as 128M, 512m or 1G']],
    [{ ...base, resources: { memory: '4M' } }, ['resources.memory: must be at least 6M (Docker refuses less)']],
    [{ ...base, resources: { cpus: 0 } }, ['resources.cpus: must be a number above 0 and at most 64']],
    [
      { ...base, needs: ['storage'], storage: { path: 'data' } },
      ['storage.path: must be an absolute path of letters, digits and ._- segments, such as /data'],
    ],
    [
      { ...base, storage: { path: '/data' } },
      ['storage: is only used with needs: storage; add it to needs or remove this'],
    ],
  ];
  for (const [doc, expected] of cases) t.same(manifestErrors(doc), expected, JSON.stringify(doc));
});

function expectLabel(path: string, max: number): string {
  return `${path}: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, at most ${max} characters`;
}

t.test('no runner may take a name the platform answers to: every one of the management stack', async (t) => {
  type Service = { hostname?: string; networks?: string[] | Record<string, { aliases?: string[] } | null> };
  const file = new URL('../../stacks/management/minicloud.yml', import.meta.url);
  const stack = yaml.load(readFileSync(file, 'utf8')) as { services: Record<string, Service> };
  const answersTo = new Set<string>();
  for (const [key, svc] of Object.entries(stack.services)) {
    answersTo.add(key);
    if (svc.hostname) answersTo.add(svc.hostname);
    const networks = Array.isArray(svc.networks) ? [] : Object.values(svc.networks ?? {});
    for (const net of networks) for (const alias of net?.aliases ?? []) answersTo.add(alias);
  }
  t.same([...answersTo].sort(), [...PLATFORM_SERVICE_NAMES].sort(), "the list is the stack file's names");
  for (const name of answersTo) {
    t.match(
      manifestErrors({ ...base, runners: [{ name, command: 'x' }] }),
      [new RegExp(`^runners\\[0\\]\\.name: "${name}" is the name of a platform service`)],
      `runner ${name} is refused`,
    );
  }
});

t.test('unknown keys are errors, with a suggestion when close', async (t) => {
  t.same(manifestErrors({ ...base, exposes: [] }), ['exposes: is not a known field (did you mean "expose"?)']);
  t.same(manifestErrors({ ...base, healthcheck: { command: 'x', intervall: '5s' } }), [
    'healthcheck.intervall: is not a known field (did you mean "interval"?)',
  ]);
  t.same(manifestErrors({ ...base, colour: 'red' }), ['colour: is not a known field']);
  t.same(manifestErrors({ ...base, expose: [{ proto: 'http', port: 80, host: 'x' }] }), [
    'expose[0].host: is not a known field',
  ]);
});

t.test('every error is reported at once, schema and cross-field alike', async (t) => {
  const errors = manifestErrors({
    name: 'Bad',
    expose: [{ proto: 'http', port: 0 }],
    needs: ['nope'],
    env: { DATABASE_URL: 'x' },
    runners: [{ name: 'web', command: 'x' }],
  });
  t.same(errors, [
    expectLabel('name', 40),
    'expose[0].port: must be an integer from 1 to 65535',
    'needs[0]: must be one of: database, messagebus, storage, postgres, redis',
    'runners[0].name: must be unique: "web" is the name of the main service',
    'env.DATABASE_URL: is set by the platform from needs: database or postgres; remove it',
  ]);
});
