import { Type, type TSchema } from '@sinclair/typebox';
import { Count, Duration, ListOrMap, NotYet, Str, StringList } from './schema-parts.js';

// `services.*.deploy`: how swarm runs a service (docker/cli config_schema_v3.x `deployment`).

const closed = { additionalProperties: false } as const;

/** `0.5` or "0.5": at most nine decimals, as the engine counts in billionths of a CPU. */
const Cpus = Type.Union(
  [Type.String({ pattern: '^([0-9]+(\\.[0-9]{0,9})?|\\.[0-9]{1,9})$' }), Type.Number({ minimum: 0 })],
  { 'x-rule': 'must be a number of CPUs such as 0.5 or "2", with at most 9 decimals' },
);

/** `128M`, "1.5g", "512MiB", or a number of bytes (docker's go-units RAMInBytes). */
const Memory = Type.Union(
  [Type.String({ pattern: '^[0-9]+(\\.[0-9]+)? ?([kKmMgGtTpP][iI]?)?[bB]?$' }), Type.Integer({ minimum: 0 })],
  { 'x-rule': 'must be a size such as 128M, 1.5G or 512MiB, or a number of bytes' },
);

const Limits = Type.Object({ cpus: Type.Optional(Cpus), memory: Type.Optional(Memory), pids: NotYet() }, closed);
const Reservations = Type.Object(
  { cpus: Type.Optional(Cpus), memory: Type.Optional(Memory), generic_resources: NotYet() },
  closed,
);

const order = Type.Union([Type.Literal('start-first'), Type.Literal('stop-first')], {
  'x-rule': 'must be one of: start-first, stop-first',
});

const updateConfig = <A extends TSchema>(failureAction: A) =>
  Type.Object(
    {
      parallelism: Type.Optional(Count()),
      delay: Type.Optional(Duration),
      failure_action: Type.Optional(failureAction),
      monitor: Type.Optional(Duration),
      max_failure_ratio: Type.Optional(
        Type.Number({ minimum: 0, maximum: 1, 'x-rule': 'must be a number from 0 to 1' }),
      ),
      order: Type.Optional(order),
    },
    closed,
  );

export const DeploySchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('replicated'), Type.Literal('global')], {
        'x-rule': 'must be one of: replicated, global (jobs are not supported by minicloud yet)',
      }),
    ),
    replicas: Type.Optional(Count()),
    endpoint_mode: Type.Optional(
      Type.Union([Type.Literal('vip'), Type.Literal('dnsrr')], { 'x-rule': 'must be one of: vip, dnsrr' }),
    ),
    labels: Type.Optional(ListOrMap('label names to values')),
    resources: Type.Optional(
      Type.Object({ limits: Type.Optional(Limits), reservations: Type.Optional(Reservations) }, closed),
    ),
    restart_policy: Type.Optional(
      Type.Object(
        {
          condition: Type.Optional(
            Type.Union([Type.Literal('none'), Type.Literal('on-failure'), Type.Literal('any')], {
              'x-rule': 'must be one of: none, on-failure, any',
            }),
          ),
          delay: Type.Optional(Duration),
          max_attempts: Type.Optional(Count()),
          window: Type.Optional(Duration),
        },
        closed,
      ),
    ),
    update_config: Type.Optional(
      updateConfig(
        Type.Union([Type.Literal('continue'), Type.Literal('pause'), Type.Literal('rollback')], {
          'x-rule': 'must be one of: continue, pause, rollback',
        }),
      ),
    ),
    // A rollback that fails cannot roll itself back.
    rollback_config: Type.Optional(
      updateConfig(
        Type.Union([Type.Literal('continue'), Type.Literal('pause')], {
          'x-rule': 'must be one of: continue, pause (a rollback cannot roll back)',
        }),
      ),
    ),
    placement: Type.Optional(
      Type.Object(
        {
          constraints: Type.Optional(StringList('must be a list of constraints such as "node.role == manager"')),
          preferences: Type.Optional(
            Type.Array(Type.Object({ spread: Str('must be a spread descriptor such as node.labels.zone') }, closed), {
              'x-rule': 'must be a list of {spread: ...} preferences',
            }),
          ),
          max_replicas_per_node: Type.Optional(Count()),
        },
        closed,
      ),
    ),
  },
  { ...closed, 'x-rule': 'must be a mapping of deploy settings' },
);
