import t from 'tap';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { composeFromText, toDesiredStack, validateCompose, type ComposeFile, type StackInputs } from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';
import { codedOrValue } from '../helpers/fuzz/coded.js';
import { corpus, fuzz } from '../helpers/fuzz/corpus.js';
import { oddText } from '../helpers/fuzz/hostile.js';
import { mutated } from '../helpers/fuzz/mutate.js';
import { cpuTimeOf } from '../helpers/cpu-time.js';

// Issue 15: a compose file (`minicloud stack deploy`, POST /v1/stacks), however broken, loads
// to a coded MC_COMPOSE_INVALID naming the field, or converts to engine objects (or is refused
// the same way there); never a crash. Corpus: test/fixtures/fuzz/compose.

const CASES = 1000;
const ENV = { TAG: '1', EMPTY: '' };

/** Short syntaxes, interpolation, secrets, configs and env files: what the golden stacks lack. */
const SHORT_FORMS = `version: '3.8'
services:
  web:
    image: nginx:\${TAG}
    command: nginx -g 'daemon off;'
    ports: ['8080:80', '9000-9001:9000-9001/udp']
    volumes: ['data:/data:ro', './site:/site']
    environment: [A=1, B]
    env_file: [web.env]
    secrets: [token]
    configs: [{ source: conf, target: /etc/conf }]
    healthcheck: { test: [CMD, true], interval: 5s, retries: 3 }
    deploy: { replicas: 2, resources: { limits: { memory: 64M, cpus: '0.5' } }, placement: { constraints: [node.role == manager] } }
    networks: { front: { aliases: [www] } }
volumes: { data: {} }
networks: { front: { driver: overlay, attachable: true } }
secrets: { token: { file: ./token.txt } }
configs: { conf: { file: ./conf.txt } }
`;

const seedTexts = [
  SHORT_FORMS,
  ...goldenApps().map((app) => readFileSync(app.expectedFile, 'utf8')),
  readFileSync(new URL('../../stacks/management/minicloud.yml', import.meta.url), 'utf8'),
];
const seedDocs = seedTexts.map((text) => yaml.load(text));

/** Every file the stack points at, present (readStackInputs' job in a real deploy). */
function inputsFor(compose: ComposeFile): StackInputs {
  const envFiles: Record<string, string> = {};
  for (const svc of Object.values(compose.services)) for (const f of svc.env_file ?? []) envFiles[f] = 'X=1\n';
  const files: Record<string, Buffer> = {};
  for (const section of [compose.secrets, compose.configs])
    for (const def of Object.values(section ?? {})) if (def.file !== undefined) files[def.file] = Buffer.from('x');
  return { envFiles, files, env: ENV };
}

type Outcome = 'refused on load' | 'refused on convert' | 'converted';

function check(text: string): Outcome {
  const compose = codedOrValue('composeFromText', ['MC_COMPOSE_INVALID'], () => composeFromText(text, 'fuzz.yml', ENV));
  if (!compose) return 'refused on load';
  const stack = codedOrValue('toDesiredStack', ['MC_COMPOSE_INVALID'], () =>
    toDesiredStack('fuzz', compose, inputsFor(compose)),
  );
  return stack ? 'converted' : 'refused on convert';
}

const textEdit = fc
  .tuple(fc.constantFrom(...seedTexts), fc.nat(), oddText, fc.boolean())
  .map(([text, at, insert, cut]) => {
    const i = at % (text.length + 1);
    return cut ? text.slice(0, i) : text.slice(0, i) + insert + text.slice(i);
  });
const texts = fc.oneof(
  { weight: 4, arbitrary: mutated(seedDocs, 2).map((d) => yaml.dump(d, { skipInvalid: true })) },
  { weight: 1, arbitrary: mutated(seedDocs, 2).map((d) => JSON.stringify(d) ?? '') },
  { weight: 1, arbitrary: textEdit },
);

t.test('the corpus replays first: seeds and every compose file that ever failed', async (t) => {
  const files = corpus('compose');
  t.ok(files.length >= 3);
  for (const f of files) t.doesNotThrow(() => check(f.text), f.name);
});

t.test('found by the fuzz: a billion-laughs document is refused at once, naming the bound', async (t) => {
  const bomb = corpus('compose').find((f) => f.name === 'alias-bomb.yml')!.text;
  const { ms } = cpuTimeOf(() =>
    t.throws(() => composeFromText(bomb, 'bomb.yml', ENV), {
      code: 'MC_COMPOSE_INVALID',
      message: 'bomb.yml is too large: holds more than 100000 values (counting what its aliases repeat)',
    }),
  );
  t.ok(ms < 2000, `without expanding it (${Math.round(ms)} ms of CPU)`);
  const deep = JSON.parse(
    `{"version": "3.8", "services": {}, "x-a": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
  ) as unknown;
  t.throws(() => validateCompose(deep, 'deep.json'), {
    message: 'deep.json is too large: nests deeper than 100 levels',
  });
});

t.test(`${CASES} mutated compose files: a coded error naming the field, or engine objects`, async (t) => {
  const seen = new Map<Outcome, number>();
  const failure = await fuzz({
    entry: 'compose',
    arbitrary: texts,
    numRuns: CASES,
    check: (text) => {
      const outcome = check(text);
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    },
    save: (text) => ({ text, ext: 'yml' }),
  });
  t.equal(failure, undefined);
  // The generator must reach every stage, or the fuzz proves little.
  for (const outcome of ['refused on load', 'converted'] as const)
    t.ok((seen.get(outcome) ?? 0) >= CASES / 20, `${outcome}: ${seen.get(outcome) ?? 0} of ${CASES}`);
  t.comment([...seen].map(([k, v]) => `${k}: ${v}`).join(', '));
});
