import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

// The fuzz corpus: test/fixtures/fuzz/<entry point>/, one file per input. The seeds and every
// input that ever failed are kept there and replayed before the random cases, so a fixed bug
// stays fixed even if the generator changes. A failing random case is written there by the
// run that finds it (found-<hash>): commit it with the fix.

export const CORPUS_DIR = new URL('../../fixtures/fuzz/', import.meta.url).pathname;

/** One fixed seed for every fuzz: a run is the same cases each time (FUZZ_SEED to explore). */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20_151_015);

export interface CorpusFile {
  name: string;
  text: string;
}

/** The corpus of one entry point, sorted by file name. */
export function corpus(entry: string): CorpusFile[] {
  const dir = join(CORPUS_DIR, entry);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** Keeps a failing input; the file name is its hash, so the same failure is kept once. */
export function keepFailure(entry: string, text: string, ext: string): string {
  const name = `found-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`;
  mkdirSync(join(CORPUS_DIR, entry), { recursive: true });
  writeFileSync(join(CORPUS_DIR, entry, name), text);
  return join('test/fixtures/fuzz', entry, name);
}

export interface FuzzRun<T> {
  /** Corpus folder of the entry point. */
  entry: string;
  arbitrary: fc.Arbitrary<T>;
  numRuns: number;
  /** Throws (an Error naming what went wrong) when the input is mishandled. */
  check: (input: T) => Promise<void> | void;
  /** The input as a corpus file's text, and the file's extension. */
  save: (input: T) => { text: string; ext: string };
}

/**
 * Runs `numRuns` cases from the fixed seed. A failure is shrunk, kept in the corpus, and
 * returned as a message naming the file; undefined when every case passed.
 */
export async function fuzz<T>(run: FuzzRun<T>): Promise<string | undefined> {
  const result = await fc.check(
    fc.asyncProperty(run.arbitrary, async (input) => {
      await run.check(input);
    }),
    { seed: FUZZ_SEED, numRuns: run.numRuns },
  );
  if (!result.failed) return undefined;
  const input = result.counterexample?.[0] as T;
  const { text, ext } = run.save(input);
  const file = keepFailure(run.entry, text, ext);
  const error = result.errorInstance as Error | undefined;
  return `${error?.message ?? 'failed'} (after ${result.numRuns} cases; kept as ${file})`;
}
