import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { run } from '@minicloud/cli';
import { corpus, fuzz } from '../helpers/fuzz/corpus.js';
import { ODD_TEXT } from '../helpers/fuzz/hostile.js';
import { ADMIN_TOKEN, testApp } from './helpers/app.js';

// Issue 15: CLI arguments, however wrong (unknown flags, missing or odd values, odd names), end
// in an exit code and a message on stderr, never an uncaught exception or a hang. The commands are
// those that talk to the API (here a fake one on loopback) or read a local file; those that
// reach the Docker engine or the data dir (stack, node, push, platform, backup, registry,
// manifest) and those that wait on stdin or follow forever (-it, --follow) are left out.
// Corpus: test/fixtures/fuzz/cli (one argv a line, as JSON).

const CASES = 300;
const PER_RUN_MS = 10_000;

const COMMANDS = [
  ['app', 'ls'],
  ['app', 'show'],
  ['app', 'add'],
  ['app', 'update'],
  ['app', 'rm'],
  ['app', 'logs'],
  ['app', 'restart'],
  ['app', 'scale'],
  ['app', 'env', 'ls'],
  ['app', 'env', 'set'],
  ['app', 'env', 'unset'],
  ['app', 'exec'],
  ['app', 'stats'],
  ['app', 'domain', 'add'],
  ['app', 'domain', 'rm'],
  ['app', 'need', 'add'],
  ['app', 'need', 'rm'],
  ['events'],
  ['notify', 'show'],
  ['notify', 'set'],
  ['notify', 'off'],
  ['version'],
  ['validate'],
  ['compile'],
  ['nosuchcommand'],
];

const FLAGS = [
  '--json',
  '--runner',
  '--task',
  '--tail',
  '-n',
  '--since',
  '--image',
  '--env',
  '--replicas',
  '--domain',
  '--purge',
  '--no-wait',
  '--adopt',
  '--purge-old',
  '--follow-tag',
  '--no-follow-tag',
  '--level',
  '--app',
  '--limit',
  '--cert',
  '--key',
  '--token',
  '--unknown-flag',
  '-x',
  '--',
  '--help',
];

const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 2, arbitrary: fc.constantFrom('shop', 'nope', 'web', 'web.1', 'worker', '3', 'A=1', 'www.shop.example') },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_TEXT.filter((s) => !s.includes('\u0000'))) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\u0000')) },
);

const argvArb = fc
  .tuple(fc.constantFrom(...COMMANDS), fc.array(word, { maxLength: 6 }))
  .map(([command, rest]) => [...command, ...rest]);

/** Marks of a crash in what the CLI printed with --verbose (a stack of a JavaScript error). */
const CRASH = /\b(TypeError|RangeError|ReferenceError|SyntaxError|Maximum call stack)\b|Cannot read properties/;

t.test('fuzzed CLI arguments end in an exit code and a message, never a crash or a hang', async (t) => {
  const { app, apps } = await testApp({ fake: { stepMs: 1 } });
  t.teardown(() => app.close());
  apps.seed('shop');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = mkdtempSync(join(tmpdir(), 'mc-fuzz-cli-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const saved = { ...process.env };
  t.teardown(() => void (process.env = saved));
  Object.assign(process.env, {
    MINICLOUD_SERVER: url,
    MINICLOUD_TOKEN: ADMIN_TOKEN,
    MINICLOUD_CONFIG: join(home, 'none.json'),
    MINICLOUD_DATA_DIR: join(home, 'no-platform'),
  });

  let ran = 0;
  let coded = 0;
  const outcomes = new Map<number, number>();
  const check = async (argv: string[]) => {
    let err = '';
    const io = { out: () => undefined, err: (s: string) => void (err += `${s}\n`) };
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      run(['node', 'minicloud', ...argv, '--verbose'], io),
      new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), PER_RUN_MS))),
    ]).finally(() => clearTimeout(timer));
    ran++;
    if (code === 'hang') throw new Error(`minicloud ${JSON.stringify(argv)} did not end within ${PER_RUN_MS} ms`);
    outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    if (!Number.isInteger(code) || code < 0) throw new Error(`minicloud ${JSON.stringify(argv)}: exit code ${code}`);
    if (/error \(MC_/.test(err)) coded++;
    if (CRASH.test(err)) throw new Error(`minicloud ${JSON.stringify(argv)} crashed:\n${err.slice(0, 1500)}`);
    if (code !== 0 && err.trim() === '')
      throw new Error(`minicloud ${JSON.stringify(argv)} exited ${code} and said nothing on stderr`);
  };

  for (const file of corpus('cli')) {
    for (const line of file.text.split('\n').filter((l) => l.trim() !== '')) {
      await check(JSON.parse(line) as string[]);
    }
  }
  const failed = await fuzz({
    entry: 'cli',
    arbitrary: argvArb,
    numRuns: CASES,
    check,
    save: (argv) => ({ text: `${JSON.stringify(argv)}\n`, ext: 'jsonl' }),
  });
  t.notOk(failed, failed ?? `${ran} argument lists, exit codes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok(
    (outcomes.get(0) ?? 0) > 0 && [...outcomes.keys()].some((c) => c !== 0),
    'both successes and refusals were reached',
  );
  t.ok(coded >= 20, `${coded} reached the API (or core) and came back as coded errors, not only option-parsing ones`);
});
