import { Type, type Static } from '@sinclair/typebox';
import { Hostname } from '../compiler/settings.js';
import { dnsLabel, Expose, Need, RUNNER_NAME_MAX, StorageOptions } from '../manifest/schema.js';

// `x-minicloud`: the top-level extension of a plain compose file that says what a manifest
// says (issue 17). Written once as JSON Schema like the manifest's, from the manifest's own
// parts, so a port, a need or a storage path reads the same in both. The reference in the
// README ("Apps from a compose file") is checked against this by a unit test.

/** A service of the file: its key under `services`, a DNS label as a runner name is. */
export const AppServiceName = dnsLabel(RUNNER_NAME_MAX);

export const ExposeService = Type.Object(
  { service: AppServiceName, ...Expose.properties },
  {
    additionalProperties: false,
    description: 'A port a service listens on. The http port is routed by the proxy to that service.',
  },
);

export const ComposeStorage = Type.Object(
  { service: AppServiceName, ...StorageOptions.properties },
  { additionalProperties: false, 'x-rule': 'must be a mapping with service and path' },
);

export const XMinicloudSchema = Type.Object(
  {
    expose: Type.Optional(Type.Array(ExposeService, { maxItems: 16, 'x-rule': 'must be a list of at most 16 ports' })),
    needs: Type.Optional(Type.Array(Need, { uniqueItems: true, 'x-rule': 'must be a list of distinct needs' })),
    storage: Type.Optional(ComposeStorage),
    domains: Type.Optional(
      Type.Array(Hostname, {
        uniqueItems: true,
        maxItems: 20,
        'x-rule': 'must be a list of at most 20 distinct host names',
      }),
    ),
    private: Type.Optional(
      Type.Array(AppServiceName, { uniqueItems: true, 'x-rule': 'must be a list of distinct service names' }),
    ),
  },
  { additionalProperties: false, 'x-rule': 'must be a mapping of x-minicloud fields' },
);

/** `x-minicloud` as written, after schema validation. */
export type XMinicloudInput = Static<typeof XMinicloudSchema>;
