import fc from 'fast-check';

// Values an attacker or a typo puts where a field is expected: the wrong type, nothing, too
// much, odd text, keys that reach an object's prototype, nesting deep enough to hurt a
// recursive walker. Every fuzz (manifests, compose files, API bodies, CLI arguments) draws
// from here, so a value that found a bug in one entry point is tried in all of them.

/** Keys that reach Object.prototype when a parser or a spread is careless. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** Text that breaks naive handling: control characters, bidi, NUL, surrogates, paths, markup, shell. */
export const ODD_TEXT = [
  '',
  ' ',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '\u202e',
  '\ud800',
  '\ufeff',
  'é',
  '𝔘𝔫𝔦',
  '..',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '$HOME',
  '${X}',
  '$$',
  '`id`',
  '; rm -rf /',
  '<script>',
  '{{x}}',
  '-',
  '--',
  '-1',
  '0',
  '1e400',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  ...PROTOTYPE_KEYS,
];

/** Deeply nested arrays and objects (a stack overflow in a recursive walker). */
export function deep(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const huge = fc.constantFrom('a'.repeat(100_000), 'é'.repeat(20_000), '\u0000'.repeat(1000), '9'.repeat(400));

export const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_TEXT),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  huge,
);

const oddNumber = fc.oneof(
  fc.constantFrom(0, -1, -0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** An object holding prototype keys as its own properties (as JSON.parse makes them). */
export const pollutingObject: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.oneof(fc.constant({ polluted: true }), fc.constant(null), oddText))
  .map(([key, value]) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as unknown);

/** Any JSON value an API or a YAML document can carry, leaning on the hostile ones. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddText },
  { weight: 2, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], [[]], { '': '' }) },
  { weight: 2, arbitrary: pollutingObject },
  { weight: 1, arbitrary: fc.constantFrom(deep(400, 'array'), deep(400, 'object'), deep(30, 'object')) },
  { weight: 1, arbitrary: fc.array(oddText, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
