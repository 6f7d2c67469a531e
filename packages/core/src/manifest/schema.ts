import { Type, type Static } from '@sinclair/typebox';
import { NEED_NAMES, type NeedName } from '../needs/registry.js';
import { APP_NAME_MAX, RUNNER_NAME_MAX } from './limits.js';

// The cloud manifest, written once as JSON Schema (TypeBox). The TypeScript types, the
// validation and the reference docs all come from here. `x-rule` is the sentence an error
// prints for that field, so messages read `expose[0].port: must be an integer from 1 to 65535`
// rather than ajv's keyword-by-keyword output.

export { APP_NAME_MAX, RUNNER_NAME_MAX } from './limits.js';

/** A DNS label of at most `max` characters: app, runner and compose-app service names. */
export const dnsLabel = (max: number) =>
  Type.String({
    pattern: `^[a-z]([a-z0-9-]{0,${max - 2}}[a-z0-9])?$`,
    'x-rule': `must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, at most ${max} characters`,
  });

export const Duration = Type.String({
  pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$',
  'x-rule': 'must be a duration such as 30s, 1m or 1m30s',
});

export const Command = Type.Union(
  [
    Type.String({ minLength: 1, 'x-rule': 'must be a non-empty command' }),
    Type.Array(Type.String(), { minItems: 1, 'x-rule': 'must be a non-empty list of strings' }),
  ],
  { 'x-rule': 'must be a command: a string, or a non-empty list of strings' },
);

export const Port = Type.Integer({ minimum: 1, maximum: 65535, 'x-rule': 'must be an integer from 1 to 65535' });

export const Expose = Type.Object(
  {
    proto: Type.Union([Type.Literal('http'), Type.Literal('tcp')], { 'x-rule': 'must be one of: http, tcp' }),
    port: Port,
  },
  { additionalProperties: false, description: 'A port the app listens on. http ports are routed by the proxy.' },
);

/** One of the registry's need kinds (needs/registry.ts). */
export const Need = Type.Union(
  NEED_NAMES.map((n) => Type.Literal(n)),
  { 'x-rule': `must be one of: ${NEED_NAMES.join(', ')}` },
);

export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const Env = Type.Record(
  Type.String({ pattern: ENV_NAME_PATTERN }),
  Type.Union([Type.String(), Type.Number(), Type.Boolean()], { 'x-rule': 'must be a string, number or boolean' }),
  {
    additionalProperties: false,
    'x-key-rule': 'is not a valid environment variable name (letters, digits and _, not starting with a digit)',
  },
);

/** How many tasks a service runs: the manifest's runners, the deploy settings and the API's bodies. */
export const Replicas = Type.Integer({ minimum: 0, maximum: 100, 'x-rule': 'must be an integer from 0 to 100' });

export const Runner = Type.Object(
  {
    name: dnsLabel(RUNNER_NAME_MAX),
    command: Command,
    replicas: Type.Optional(Replicas),
  },
  { additionalProperties: false, description: 'An extra process of the same image with no exposed port.' },
);

export const Healthcheck = Type.Object(
  {
    http: Type.Optional(
      Type.String({
        // The path ends up inside a shell command, so only URL path characters are allowed.
        pattern: '^/[A-Za-z0-9._~/%?&=+:@,-]*$',
        'x-rule': 'must be a URL path starting with / (letters, digits and ._~/%?&=+:@,- only)',
      }),
    ),
    command: Type.Optional(Command),
    interval: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
    retries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, 'x-rule': 'must be an integer from 1 to 100' })),
    start_period: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

export const Memory = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?([bB]|[kKmMgG][bB]?)?$',
  'x-rule': 'must be a size such as 128M, 512m or 1G',
});

export const Resources = Type.Object(
  {
    memory: Type.Optional(Memory),
    cpus: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 64, 'x-rule': 'must be a number above 0 and at most 64' }),
    ),
  },
  { additionalProperties: false },
);

export const StorageOptions = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        pattern: '^(/[A-Za-z0-9._-]+)+$',
        'x-rule': 'must be an absolute path of letters, digits and ._- segments, such as /data',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ManifestSchema = Type.Object(
  {
    name: dnsLabel(APP_NAME_MAX),
    expose: Type.Optional(Type.Array(Expose, { maxItems: 16, 'x-rule': 'must be a list of at most 16 ports' })),
    needs: Type.Optional(Type.Array(Need, { uniqueItems: true, 'x-rule': 'must be a list of distinct needs' })),
    env: Type.Optional(Env),
    runners: Type.Optional(Type.Array(Runner, { maxItems: 20, 'x-rule': 'must be a list of at most 20 runners' })),
    healthcheck: Type.Optional(Healthcheck),
    resources: Type.Optional(Resources),
    storage: Type.Optional(StorageOptions),
  },
  { additionalProperties: false, 'x-rule': 'must be a mapping of manifest fields' },
);

/** The manifest as written, after schema validation. */
export type ManifestInput = Static<typeof ManifestSchema>;

const props = ManifestSchema.properties;

/**
 * The manifest with every default filled in (normalise.ts): the fields that have a default are
 * required here, env values are strings. Its type is the compiler's `Manifest`; the API shows it.
 */
export const NormalisedManifestSchema = Type.Object(
  {
    name: props.name,
    expose: Type.Array(Expose),
    needs: Type.Array(Need),
    env: Type.Record(Type.String({ pattern: ENV_NAME_PATTERN }), Type.String()),
    runners: Type.Array(Type.Object({ ...Runner.properties, replicas: Replicas })),
    healthcheck: Type.Optional(Type.Object({ ...Healthcheck.properties, interval: Duration })),
    resources: Resources,
    storage: Type.Object({ path: Type.Required(StorageOptions).properties.path }),
  },
  { additionalProperties: false },
);
export type { NeedName };

/** A validated manifest with every default filled in: what the compiler works from. */
export type Manifest = Static<typeof NormalisedManifestSchema>;
