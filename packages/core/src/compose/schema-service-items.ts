import { Type } from '@sinclair/typebox';
import { Bool, Count, Duration, Either, NotYet, StackUnsupported, Str, StringList } from './schema-parts.js';

// The list items and sub-mappings of a service (compose/schema-service.ts): ports, volumes,
// secret and config references, network attachments, healthcheck.

const closed = { additionalProperties: false } as const;

export const Command = Type.Union([Type.String(), Type.Array(Type.String())], {
  'x-rule': 'must be a command: a string, or a list of strings',
});

export const PortLong = Type.Object(
  {
    target: Type.Integer({ minimum: 1, maximum: 65535, 'x-rule': 'must be a port from 1 to 65535' }),
    published: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, 'x-rule': 'must be a port from 0 to 65535' })),
    protocol: Type.Optional(
      Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp')], {
        'x-rule': 'must be one of: tcp, udp, sctp',
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('ingress'), Type.Literal('host')], { 'x-rule': 'must be one of: ingress, host' }),
    ),
    name: NotYet(),
    app_protocol: NotYet(),
  },
  closed,
);

/** `80`, "8080:80", "8000-8001:80-81", "53:53/udp". A host IP cannot be bound by a swarm service. */
export const PortShort = Type.Union(
  [
    Type.Integer({ minimum: 1, maximum: 65535 }),
    Type.String({ pattern: '^([0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(/(tcp|udp|sctp))?$' }),
  ],
  {
    'x-rule':
      'must be a port such as 80, "8080:80" or "53:53/udp" (no host IP), or a mapping of target, published, protocol and mode',
  },
);

export const VolumeLong = Type.Object(
  {
    type: Type.Union([Type.Literal('bind'), Type.Literal('volume'), Type.Literal('tmpfs')], {
      'x-rule': 'must be one of: bind, volume, tmpfs',
    }),
    source: Type.Optional(Str()),
    target: Type.String({ minLength: 1, 'x-rule': 'must be the path inside the container' }),
    read_only: Type.Optional(Bool()),
    bind: Type.Optional(
      Type.Object(
        {
          propagation: Type.Optional(
            Type.Union(
              ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].map((p) => Type.Literal(p)),
              { 'x-rule': 'must be one of: rprivate, private, rshared, shared, rslave, slave' },
            ),
          ),
        },
        closed,
      ),
    ),
    volume: Type.Optional(Type.Object({ nocopy: Type.Optional(Bool()), subpath: NotYet() }, closed)),
    tmpfs: Type.Optional(Type.Object({ size: Type.Optional(Count('must be a size in bytes')) }, closed)),
    consistency: NotYet(),
  },
  { ...closed, 'x-rule': 'must be a volume such as "data:/var/lib/data", or a mapping with type and target' },
);

const FileReferenceLong = Type.Object(
  {
    source: Type.String({ minLength: 1, 'x-rule': 'must name a top-level entry' }),
    target: Type.Optional(Type.String({ minLength: 1, 'x-rule': 'must be a file name or path' })),
    uid: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]+$' }), Count()], { 'x-rule': 'must be a user id' })),
    gid: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]+$' }), Count()], { 'x-rule': 'must be a group id' })),
    mode: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 0o777, 'x-rule': 'must be file permissions such as 0440' }),
    ),
  },
  { ...closed, 'x-rule': 'must be a name, or a mapping with source, target, uid, gid and mode' },
);

export const FileReference = Either('string', Type.String({ minLength: 1 }), FileReferenceLong);

export const ServiceNetwork = Either(
  'null',
  Type.Null(),
  Type.Object(
    {
      aliases: Type.Optional(StringList()),
      ipv4_address: StackUnsupported(),
      ipv6_address: StackUnsupported(),
      driver_opts: NotYet(),
    },
    { ...closed, 'x-rule': 'must be empty, or a mapping with aliases' },
  ),
);

export const Healthcheck = Type.Object(
  {
    test: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        'x-rule': 'must be a shell command string, or a list such as [CMD, curl, -f, http://localhost]',
      }),
    ),
    interval: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
    start_period: Type.Optional(Duration),
    retries: Type.Optional(Count()),
    disable: Type.Optional(Bool()),
    start_interval: NotYet(),
  },
  { ...closed, 'x-rule': 'must be a mapping of healthcheck settings' },
);
