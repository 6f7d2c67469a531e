import fc from 'fast-check';
import { hostileValue, PROTOTYPE_KEYS, oddText } from './hostile.js';

// Mutations of a valid document: the fuzz starts from inputs the repo knows to be good (the
// example apps, the golden fixtures, a route's schema) and breaks one or a few places, so most
// cases get past the parser and reach the validator, the normaliser and the compiler.

type Path = (string | number)[];

/** Every place in a JSON-like value, the root included. */
export function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

export type Mutation =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'wrap'; at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      at: fc.nat(),
      key: fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), oddText),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), at: fc.nat() }) },
);

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not `=`: `__proto__` must become an own key, as JSON.parse makes it.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `doc` with the mutation applied at the `at`-th place (mod the number of places); doc is not changed. */
export function applyMutation(doc: unknown, m: Mutation): unknown {
  const copy = structuredClone(doc);
  const paths = pathsOf(copy);
  const path = paths[m.at % paths.length]!;
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  const get = (p: Path) => p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy);
  const replaceAt = (value: unknown): unknown => {
    if (last === undefined) return value;
    setOwn(get(parentPath) as Record<string, unknown>, String(last), value);
    return copy;
  };
  const here = get(path);
  switch (m.op) {
    case 'replace':
      return replaceAt(m.value);
    case 'wrap':
      return replaceAt([here]);
    case 'delete': {
      if (last === undefined) return undefined;
      const parent = get(parentPath);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete (parent as Record<string, unknown>)[String(last)];
      return copy;
    }
    case 'add': {
      if (Array.isArray(here)) here.push(m.value);
      else if (here !== null && typeof here === 'object') setOwn(here as Record<string, unknown>, m.key, m.value);
      else return replaceAt({ [m.key]: m.value });
      return copy;
    }
  }
}

/** A few mutations in a row of one of `seeds`. */
export function mutated(seeds: readonly unknown[], max = 3): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: max }))
    .map(([seed, ms]) => ms.reduce(applyMutation, seed));
}
