import { Type, type Static, type TSchema } from '@sinclair/typebox';

// Building blocks of the compose file schema (compose/schema*.ts). The schema describes the
// file as users write it, short syntaxes included; compose/normalise.ts then rewrites each
// value into the one long form of compose/types.ts.

export const NOT_IN_STACK = 'is not supported by stack deploy';
export const NOT_YET = 'is not supported by minicloud yet';

/** A key docker stack deploy ignores or refuses: an error, never silently dropped. */
export const StackUnsupported = (hint?: string) =>
  Type.Optional(
    Type.Unsafe<never>({ not: {}, 'x-rule': hint === undefined ? NOT_IN_STACK : `${NOT_IN_STACK}: ${hint}` }),
  );

/** A key docker stack deploy supports and minicloud does not convert (yet). */
export const NotYet = () => Type.Optional(Type.Unsafe<never>({ not: {}, 'x-rule': NOT_YET }));

/**
 * One of two shapes, chosen by the value's JSON type. Unlike anyOf, errors come from the shape
 * that applies only, so a typo inside a long syntax is reported at its own path. (ajv's extra
 * `must match "then" schema` line is dropped in load.ts.)
 */
export function Either<A extends TSchema, B extends TSchema>(
  when: 'string' | 'array' | 'object' | 'null',
  then: A,
  otherwise: B,
) {
  return Type.Unsafe<Static<A> | Static<B>>({ if: { type: when }, then, else: otherwise });
}

/** Go's time.ParseDuration grammar, without a sign: 0, 30s, 1m30s, 1.5h, 500ms. */
export const Duration = Type.String({
  pattern: '^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$',
  'x-rule': 'must be a duration such as 30s, 1m30s or 500ms',
});

export const Str = (rule = 'must be a string') => Type.String({ 'x-rule': rule });
export const Bool = () => Type.Boolean({ 'x-rule': 'must be true or false' });
export const Count = (rule = 'must be an integer of 0 or more') => Type.Integer({ minimum: 0, 'x-rule': rule });
export const StringList = (rule = 'must be a list of strings') =>
  Type.Array(Type.String({ 'x-rule': 'must be a string' }), { 'x-rule': rule });

/** Keys of top-level networks, volumes, secrets and configs (docker's own pattern). */
export const OBJECT_KEY = '^[a-zA-Z0-9._-]+$';

const scalarValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], {
  'x-rule': 'must be a string, number, boolean or null',
});

/** `{KEY: value}` or `[KEY=value, ...]`, for environment and labels. */
export const ListOrMap = (what: string) =>
  Either(
    'array',
    Type.Array(Type.String({ 'x-rule': 'must be a KEY=VALUE string' }), {
      uniqueItems: true,
      'x-rule': 'must not list the same entry twice',
    }),
    Type.Record(Type.String(), scalarValue, {
      'x-rule': `must be a mapping of ${what}, or a list of KEY=VALUE strings`,
    }),
  );

/** `driver_opts`: option values are strings; numbers are accepted and become strings. */
export const DriverOpts = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number()], { 'x-rule': 'must be a string or a number' }),
  { 'x-rule': 'must be a mapping of option names to values' },
);

/** `external: true`, or the old `external: {name: x}` spelling docker still reads. */
export const External = Either(
  'object',
  Type.Object({ name: Type.Optional(Str()) }, { additionalProperties: false }),
  Type.Boolean({ 'x-rule': 'must be true or false, or a mapping with a name' }),
);

/** Extension keys (`x-...`) are allowed in the places docker allows them, and ignored. */
export const EXTENSIONS = { patternProperties: { '^x-': {} } } as const;
