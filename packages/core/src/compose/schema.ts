import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ServiceSchema } from './schema-service.js';
import {
  Bool,
  DriverOpts,
  Either,
  EXTENSIONS,
  External,
  ListOrMap,
  NotYet,
  OBJECT_KEY,
  StackUnsupported,
  Str,
} from './schema-parts.js';

// A compose file as `docker stack deploy` reads it (version 3.x), written once as JSON Schema.
// It accepts the short syntaxes users write; compose/normalise.ts turns the checked document
// into compose/types.ts, with one shape per field.

/**
 * Service keys become service names `<stack>_<key>`, which swarm requires to be a DNS label
 * (docker's schema is looser, and the engine would refuse the name at deploy time).
 */
export const SERVICE_KEY = '^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$';

const keyed = <T extends TSchema>(what: string, pattern: string, value: T) =>
  Type.Record(Type.String({ pattern }), value, {
    additionalProperties: false,
    'x-rule': `must be a mapping of ${what}`,
    'x-key-rule':
      pattern === SERVICE_KEY
        ? 'is not a valid service name (letters, digits, - and _, starting and ending with a letter or digit)'
        : 'is not a valid name (letters, digits and ._-)',
  });

const closed = { additionalProperties: false, ...EXTENSIONS } as const;

const NetworkSchema = Type.Object(
  {
    name: Type.Optional(Str()),
    driver: Type.Optional(Str()),
    driver_opts: Type.Optional(DriverOpts),
    attachable: Type.Optional(Bool()),
    internal: Type.Optional(Bool()),
    external: Type.Optional(External),
    labels: Type.Optional(ListOrMap('label names to values')),
    ipam: Type.Optional(
      Type.Object(
        {
          driver: Type.Optional(Str()),
          config: Type.Optional(
            Type.Array(
              Type.Object(
                { subnet: Type.String({ 'x-rule': 'must be a subnet such as 10.10.0.0/24' }) },
                { additionalProperties: false },
              ),
              { 'x-rule': 'must be a list of {subnet: ...}' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    enable_ipv6: NotYet(),
  },
  { ...closed, 'x-rule': 'must be empty, or a mapping of network settings' },
);

const VolumeSchema = Type.Object(
  {
    name: Type.Optional(Str()),
    driver: Type.Optional(Str()),
    driver_opts: Type.Optional(DriverOpts),
    external: Type.Optional(External),
    labels: Type.Optional(ListOrMap('label names to values')),
  },
  { ...closed, 'x-rule': 'must be empty, or a mapping of volume settings' },
);

const fileObject = (kind: 'secret' | 'config') =>
  Type.Object(
    {
      file: Type.Optional(Type.String({ minLength: 1, 'x-rule': 'must be a path' })),
      external: Type.Optional(External),
      name: Type.Optional(Str()),
      labels: Type.Optional(ListOrMap('label names to values')),
      template_driver: NotYet(),
      ...(kind === 'secret' ? { driver: NotYet(), driver_opts: NotYet() } : {}),
    },
    { ...closed, 'x-rule': `must be a mapping with file, or external: true` },
  );

export const ComposeSchema = Type.Object(
  {
    version: Type.Optional(
      Type.Union([Type.String({ pattern: '^3(\\.[0-9]{1,2})?$' }), Type.Number({ minimum: 3, exclusiveMaximum: 4 })], {
        'x-rule': 'must be a 3.x version such as "3.8" (stack deploy reads version 3 files only)',
      }),
    ),
    services: keyed('service names to services', SERVICE_KEY, ServiceSchema),
    networks: Type.Optional(keyed('network names to networks', OBJECT_KEY, Either('null', Type.Null(), NetworkSchema))),
    volumes: Type.Optional(keyed('volume names to volumes', OBJECT_KEY, Either('null', Type.Null(), VolumeSchema))),
    secrets: Type.Optional(keyed('secret names to secrets', OBJECT_KEY, fileObject('secret'))),
    configs: Type.Optional(keyed('config names to configs', OBJECT_KEY, fileObject('config'))),
    name: StackUnsupported('the stack name is given when deploying'),
  },
  { ...closed, 'x-rule': 'must be a mapping with services (a compose file)' },
);

/** A compose file as written, after schema validation and before normalisation. */
export type ComposeInput = Static<typeof ComposeSchema>;
export type ServiceInput = ComposeInput['services'][string];
