import { Type } from '@sinclair/typebox';
import { IMAGE_REF_PATTERN } from '../compiler/settings.js';
import { DeploySchema } from './schema-deploy.js';
import { Bool, Duration, Either, EXTENSIONS, ListOrMap, OBJECT_KEY, Str, StringList } from './schema-parts.js';
import {
  Command,
  FileReference,
  Healthcheck,
  PortLong,
  PortShort,
  ServiceNetwork,
  VolumeLong,
} from './schema-service-items.js';
import { UNSUPPORTED_SERVICE_KEYS } from './schema-unsupported.js';

// `services.*` as users write it. Every key docker's 3.x schema knows is listed: the ones
// minicloud converts, and the others as errors that say why (compose/schema-unsupported.ts).

const closed = { additionalProperties: false } as const;

export const ServiceSchema = Type.Object(
  {
    image: Type.String({ pattern: IMAGE_REF_PATTERN, 'x-rule': 'must be an image reference such as nginx:1.27' }),
    command: Type.Optional(Command),
    entrypoint: Type.Optional(Command),
    environment: Type.Optional(ListOrMap('variable names to values')),
    env_file: Type.Optional(Either('string', Type.String(), StringList('must be a path, or a list of paths'))),
    ports: Type.Optional(Type.Array(Either('object', PortLong, PortShort), { 'x-rule': 'must be a list of ports' })),
    networks: Type.Optional(
      Either(
        'array',
        Type.Array(Type.String({ pattern: OBJECT_KEY, 'x-rule': 'must be a network name' }), {
          uniqueItems: true,
          'x-rule': 'must not list a network twice',
        }),
        Type.Record(Type.String({ pattern: OBJECT_KEY }), ServiceNetwork, {
          additionalProperties: false,
          'x-rule': 'must be a list of network names, or a mapping of network names to settings',
          'x-key-rule': 'is not a valid network name (letters, digits and ._-)',
        }),
      ),
    ),
    volumes: Type.Optional(
      Type.Array(Either('string', Type.String({ minLength: 1 }), VolumeLong), {
        'x-rule': 'must be a list of volumes',
      }),
    ),
    secrets: Type.Optional(Type.Array(FileReference, { 'x-rule': 'must be a list of secrets' })),
    configs: Type.Optional(Type.Array(FileReference, { 'x-rule': 'must be a list of configs' })),
    healthcheck: Type.Optional(Healthcheck),
    labels: Type.Optional(ListOrMap('label names to values')),
    deploy: Type.Optional(Either('null', Type.Null(), DeploySchema)),
    working_dir: Type.Optional(Str()),
    user: Type.Optional(Str()),
    hostname: Type.Optional(Str()),
    stop_grace_period: Type.Optional(Duration),
    init: Type.Optional(Bool()),
    tty: Type.Optional(Bool()),
    read_only: Type.Optional(Bool()),
    cap_add: Type.Optional(StringList('must be a list of capabilities such as NET_ADMIN')),
    cap_drop: Type.Optional(StringList('must be a list of capabilities such as NET_ADMIN')),
    ...UNSUPPORTED_SERVICE_KEYS,
  },
  { ...closed, ...EXTENSIONS, 'x-rule': 'must be a mapping of service settings' },
);
