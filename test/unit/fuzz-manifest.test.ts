import t from 'tap';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { compileStack, composeFromText, manifestFromText, toDesiredStack } from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';
import { codedOrValue } from '../helpers/fuzz/coded.js';
import { corpus, fuzz } from '../helpers/fuzz/corpus.js';
import { oddText } from '../helpers/fuzz/hostile.js';
import { mutated } from '../helpers/fuzz/mutate.js';

// Issue 15: a manifest (an image's label: tenant input) and the deployment settings, however
// broken, give a coded error naming the field, never a crash; what the validator accepts the
// compiler turns into a stack that loads and converts. Corpus: test/fixtures/fuzz/manifest.

const CASES = 1000;

interface Case {
  /** The manifest's file name: its extension picks YAML or JSON. */
  file: string;
  text: string;
  settings: unknown;
}

const example = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const golden = goldenApps();
const seedTexts = [
  example('stacks/apps/hello/cloud_manifest.yml'),
  ...golden.map((app) =>
    readFileSync(`${app.dir}/${app.name === 'web-mq-runners' ? 'cloud_manifest.json' : 'cloud_manifest.yml'}`, 'utf8'),
  ),
];
const seedDocs = seedTexts.map((text) => yaml.load(text));
const seedSettings = golden.map((app) => app.settings);

type Outcome = 'refused manifest' | 'refused settings' | 'compiled';

/** The pipeline the API and the CLI run on a manifest: parse, validate, compile, load the stack, convert. */
function check(c: Case): Outcome {
  const manifest = codedOrValue(`manifest ${c.file}`, ['MC_MANIFEST_PARSE', 'MC_MANIFEST_INVALID'], () =>
    manifestFromText(c.text, c.file),
  );
  if (!manifest) return 'refused manifest';
  const stack = codedOrValue('compileStack', ['MC_SETTINGS_INVALID', 'MC_MANIFEST_INVALID'], () =>
    compileStack(manifest, c.settings),
  );
  if (!stack) return 'refused settings';
  // A stack the compiler made must load and convert as it is: no error is expected here.
  const compose = composeFromText(stack.yaml, 'stack.yml', {});
  const envFiles = stack.credentialsFile ? { [stack.credentialsFile]: '' } : {};
  toDesiredStack(stack.name, compose, { envFiles, files: {} });
  return 'compiled';
}

/** Text edits a hand makes: cut the file short, or drop odd text in the middle. */
const textEdit = fc
  .tuple(fc.constantFrom(...seedTexts), fc.nat(), oddText, fc.boolean())
  .map(([text, at, insert, cut]) => {
    const i = at % (text.length + 1);
    return cut ? text.slice(0, i) : text.slice(0, i) + insert + text.slice(i);
  });

const document = mutated(seedDocs, 2);
const text = fc.oneof(
  {
    weight: 3,
    arbitrary: document.map((d) => ({ file: 'cloud_manifest.yml', text: yaml.dump(d, { skipInvalid: true }) })),
  },
  { weight: 2, arbitrary: document.map((d) => ({ file: 'cloud_manifest.json', text: JSON.stringify(d) ?? '' })) },
  { weight: 1, arbitrary: textEdit.map((text) => ({ file: 'cloud_manifest.yml', text })) },
  { weight: 1, arbitrary: fc.constantFrom(...seedTexts).map((text) => ({ file: 'cloud_manifest.yml', text })) },
);
const settings = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...seedSettings) },
  { weight: 1, arbitrary: mutated(seedSettings, 1) },
);
const cases: fc.Arbitrary<Case> = fc.tuple(text, settings).map(([m, s]) => ({ ...m, settings: s }));

/** A corpus file is a manifest whose first line may be `# settings: {json}`. */
function fromCorpus(name: string, text: string): Case {
  const first = /^# settings: (.*)\n/.exec(text);
  const settings = first ? (JSON.parse(first[1]!) as unknown) : seedSettings[0];
  return { file: name.endsWith('.json') ? 'cloud_manifest.json' : 'cloud_manifest.yml', text, settings };
}

t.test('the corpus replays first: seeds and every manifest that ever failed', async (t) => {
  const files = corpus('manifest');
  t.ok(files.length >= 5);
  for (const f of files) t.doesNotThrow(() => check(fromCorpus(f.name, f.text)), f.name);
});

t.test('an alias bomb is refused as too large, not expanded', async (t) => {
  const bomb = corpus('manifest').find((f) => f.name === 'alias-bomb.yml')!.text;
  t.throws(() => manifestFromText(bomb, 'cloud_manifest.yml'), {
    code: 'MC_MANIFEST_PARSE',
    message: /^cloud_manifest\.yml is too large: holds more than 100000 values/,
  });
});

t.test(
  `${CASES} mutated manifests and settings: a coded error naming the field, or a stack that converts`,
  async (t) => {
    const seen = new Map<Outcome, number>();
    const failure = await fuzz({
      entry: 'manifest',
      arbitrary: cases,
      numRuns: CASES,
      check: (c) => {
        const outcome = check(c);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      },
      save: (c) => ({
        text: c.file.endsWith('.json') ? c.text : `# settings: ${JSON.stringify(c.settings)}\n${c.text}`,
        ext: c.file.endsWith('.json') ? 'json' : 'yml',
      }),
    });
    t.equal(failure, undefined);
    // The generator must reach every stage, or the fuzz proves little.
    for (const outcome of ['refused manifest', 'refused settings', 'compiled'] as const)
      t.ok((seen.get(outcome) ?? 0) >= CASES / 20, `${outcome}: ${seen.get(outcome) ?? 0} of ${CASES}`);
  },
);
