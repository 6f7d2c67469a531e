import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  APP_NAME_MAX,
  BackupPolicySchema,
  RUNNER_NAME_MAX,
  EXEC_MAX_ARGS,
  EXEC_MAX_ARG_LENGTH,
  ENV_BOUNDS,
  ENV_MAP_OPTIONS,
  SETTINGS_ENV_NAME_PATTERN,
  EnvValueSchema,
  HOSTNAME_PATTERN,
  IMAGE_REF_PATTERN,
  Need,
  NormalisedManifestSchema,
  Replicas,
  TableRowsSchema,
} from '@minicloud/core';

// Every body, parameter and response of the API, written once (TypeBox = JSON Schema): Fastify
// validates requests and serializes responses with them, @fastify/swagger turns them into the
// OpenAPI document, and the TypeScript types below come from the same source. `x-rule` is the
// sentence a validation error prints for the field (as in the manifest schema).

// ---- shared pieces -------------------------------------------------------------------------

export const AppName = Type.String({
  pattern: `^[a-z]([a-z0-9-]{0,${APP_NAME_MAX - 2}}[a-z0-9])?$`,
  'x-rule': `must be a DNS label of at most ${APP_NAME_MAX} characters: lowercase letters, digits and hyphens`,
  description: 'An app name (a DNS label)',
});

export const RunnerName = Type.String({
  pattern: `^[a-z]([a-z0-9-]{0,${RUNNER_NAME_MAX - 2}}[a-z0-9])?$`,
  'x-rule': `must be a runner name (or web): a DNS label of at most ${RUNNER_NAME_MAX} characters`,
  description: "A service of the app: `web` or one of its manifest's runners",
});

export const Hostname = Type.String({
  pattern: HOSTNAME_PATTERN,
  maxLength: 253,
  'x-rule': 'must be a lowercase host name such as app.example.com',
});

export const ImageRef = Type.String({
  pattern: IMAGE_REF_PATTERN,
  maxLength: 512,
  'x-rule': 'must be an image reference such as registry.example.com:5443/app:1.0',
});

/** One of core's need kinds: the manifest schema's own `Need`, derived from core's registry. */
export const NeedName = Need;

// Core's env bounds (count, name, value): a Record's key schema keeps only its pattern, so the
// name's length is in the pattern. The sizes in bytes are checked by core when it compiles.
const EnvName = Type.String({ pattern: SETTINGS_ENV_NAME_PATTERN });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'A stable error code, such as MC_APP_NOT_FOUND' }),
    detail: Type.String({ description: 'What went wrong, for a person' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'The offending field, such as body.replicas' }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
);
export type ProblemBody = Static<typeof Problem>;

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request breaks the schema (each offending field is named) or a rule',
  401: 'No valid token',
  403: 'The token may not do this (a deploy token of another app)',
  429: 'Too many wrong tokens from this address: wait Retry-After seconds',
  404: 'No such app, job, token, node, domain or stack',
  409: 'A clash: the app or domain exists already',
  422: 'The backup is damaged (a part does not match its checksum): refused, nothing restored',
  500: 'An unexpected error',
  502: 'The Docker Engine, the registry or a platform service failed',
  503: 'That part of the platform is not configured on this server',
};

/**
 * Error responses of a route (400, 401 and 429 always: a bearer token's route): problem+json,
 * the schema shared by reference.
 */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, 401, 429, ...statuses])
    out[s] = Type.Unsafe({
      description: PROBLEM_TEXT[s] ?? 'An error',
      content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    });
  return out;
}

// ---- apps ----------------------------------------------------------------------------------

const TaskStatus = Type.Object({
  id: Type.String(),
  node: Type.String(),
  desiredState: Type.String(),
  state: Type.String(),
  image: Type.String(),
  error: Type.Optional(Type.String()),
  updatedAt: Type.String(),
});

export const ServiceStatus = Type.Object(
  {
    name: Type.String(),
    id: Type.String(),
    desired: Type.Integer(),
    running: Type.Integer(),
    image: Type.String(),
    updateState: Type.Optional(Type.String()),
    tasks: Type.Array(TaskStatus),
  },
  { $id: 'ServiceStatus', description: 'A swarm service with its tasks, newest first' },
);

// Core's own schema of the manifest with its defaults filled in: one source for the compiler's
// type, the validation and this document.
export const Manifest = Type.Object(NormalisedManifestSchema.properties, {
  additionalProperties: false,
  $id: 'Manifest',
  description: "The app's cloud manifest as read from its image, defaults filled in",
});

export const Health = Type.Union(
  [Type.Literal('healthy'), Type.Literal('starting'), Type.Literal('degraded'), Type.Literal('down')],
  {
    description: 'healthy: every task runs; starting: an update or start is under way; degraded: some run; down: none',
  },
);

// ---- backups (what the apps' status shows; the routes' schemas are further down) ---------

export const BackupState = Type.Union(
  [Type.Literal('ok'), Type.Literal('stale'), Type.Literal('failing'), Type.Literal('off')],
  {
    description:
      'ok: a recent backup and no failure; stale: none for two schedule periods (or never); ' +
      'failing: the last attempt or test restore failed; off: no schedule',
  },
);

export const AppBackupBrief = Type.Object(
  {
    lastSuccessAt: Type.Union([Type.String(), Type.Null()], { description: 'When the newest complete backup started' }),
    ageSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'How old the newest complete backup is' }),
    state: BackupState,
    reason: Type.Optional(Type.String({ description: 'Why it is failing' })),
  },
  { description: "The app's backups at a glance (present when the server runs backups)" },
);

export const AppState = Type.Union([Type.Literal('active'), Type.Literal('removing')], {
  description:
    'removing: a removal started and has not finished (it failed part way, or is under way); ' +
    '`minicloud app rm NAME` (with --purge if removal.purge) finishes it',
});

export const AppRemoval = Type.Object(
  {
    purge: Type.Boolean({ description: 'The data goes too' }),
    startedAt: Type.String(),
    left: Type.Array(
      Type.Object({
        part: Type.String({
          description: 'routes, stack, database, messagebus, storage, certificate <domain>, secrets',
        }),
        reason: Type.String({ description: 'Why it is left: the error of the last attempt' }),
      }),
      { description: 'What is not removed yet' },
    ),
  },
  { description: 'Present while the app is removing' },
);

export const DomainCertificate = Type.Object(
  {
    domain: Type.String(),
    issuer: Type.Union([Type.Literal('acme'), Type.Literal('platform-ca'), Type.Literal('uploaded')], {
      description:
        "acme: the ACME server's (Let's Encrypt); platform-ca: the platform's own CA (until ACME issues one, or when ACME is off); uploaded: the operator's, never replaced",
    }),
    notAfter: Type.Optional(Type.String({ description: 'When the served certificate ends' })),
    lastAttempt: Type.Optional(Type.String({ description: 'The last ACME order attempt' })),
    lastError: Type.Optional(Type.String({ description: 'Why the last ACME order failed (absent after a success)' })),
    nextAttempt: Type.Optional(
      Type.String({
        description: 'When the platform orders next (absent when ACME is off or the certificate is uploaded)',
      }),
    ),
  },
  { description: "A domain's certificate: who issued it, until when, and how ordering one went" },
);

/** A lost node an app needs (core's PlacementTrouble). */
export const PlacementTrouble = Type.Object(
  {
    node: Type.String({ description: "The node's hostname" }),
    state: Type.String({ description: 'What the swarm reports of it: down, unknown, disconnected' }),
    pinned: Type.Boolean({ description: 'The app is pinned there by its storage and cannot run elsewhere' }),
    message: Type.String(),
  },
  { description: 'A node the app needs that is lost, and what that does to the app' },
);
const Placement = Type.Optional(
  Type.Array(PlacementTrouble, { description: 'Lost nodes the app needs; absent when none' }),
);

/** Where a compose app's stack comes from; absent for an app from an image. */
const AppSource = Type.Object(
  {
    kind: Type.Literal('compose'),
    routedService: Type.Optional(Type.String({ description: 'The service the proxy routes to (x-minicloud.expose)' })),
    volumes: Type.Array(Type.String(), { description: "The file's named volumes (`<app>_<volume>` on the nodes)" }),
  },
  { description: 'The app was added from a compose file, kept beside its record' },
);

export const AppStatus = Type.Object(
  {
    name: Type.String(),
    state: AppState,
    removal: Type.Optional(AppRemoval),
    image: Type.String({ description: "The image; a compose app's routed (or first) service's" }),
    source: Type.Optional(AppSource),
    domains: Type.Array(Type.String()),
    envKeys: Type.Array(Type.String(), {
      description: "Names of the operator's env variables; their values are secrets and never shown",
    }),
    replicas: Type.Integer(),
    followTag: Type.Optional(Type.Boolean({ description: "Each push of the image's tag rolls the app out" })),
    runnerReplicas: Type.Optional(
      Type.Record(Type.String(), Type.Integer(), {
        description: "Runner replicas set by `app scale --runner`, over the manifest's",
      }),
    ),
    needs: Type.Array(NeedName),
    manifest: Type.Ref('Manifest'),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    urls: Type.Array(Type.String()),
    health: Health,
    placement: Placement,
    services: Type.Array(Type.Ref('ServiceStatus')),
    certificates: Type.Optional(Type.Array(DomainCertificate, { description: "Each domain's certificate" })),
    backup: Type.Optional(AppBackupBrief),
  },
  { $id: 'AppStatus', description: 'An app with its services, tasks, replicas, health and URLs' },
);

export const AppSummary = Type.Object(
  {
    name: Type.String(),
    state: AppState,
    removal: Type.Optional(AppRemoval),
    image: Type.String(),
    health: Health,
    replicas: Type.Integer({ description: 'Replicas of the web service the operator asked for' }),
    running: Type.Integer({ description: 'Tasks running, over every service of the app' }),
    desired: Type.Integer({ description: 'Tasks wanted, over every service of the app' }),
    placement: Placement,
    needs: Type.Array(NeedName),
    urls: Type.Array(Type.String(), { description: 'https://<domain>/ for each routed domain' }),
    updatedAt: Type.String(),
    backup: Type.Optional(AppBackupBrief),
  },
  { $id: 'AppSummary', description: 'One line of the app list (GET /v1/apps/{name} has the whole app)' },
);

export const AppList = Type.Object({ apps: Type.Array(Type.Ref('AppSummary')) });

/** What to do with data an earlier app of the name left (MC_APP_DATA_EXISTS without either). */
const KeptDataFields = {
  adopt: Type.Optional(
    Type.Boolean({ description: 'Take over data an earlier app of this name left (re-keyed); not with purgeOld' }),
  ),
  purgeOld: Type.Optional(
    Type.Boolean({ description: 'Drop data an earlier app of this name left, then create it fresh; not with adopt' }),
  ),
};

/** An app's compose file as text (issue 17), as a stack's is (POST /v1/stacks). */
const AppComposeText = Type.String({
  minLength: 1,
  maxLength: 1048576,
  description: "A compose file as YAML text; its x-minicloud says what an image's manifest says",
});

export const AddAppBody = Type.Object(
  {
    image: Type.Optional(ImageRef),
    compose: Type.Optional(AppComposeText),
    name: Type.Optional(AppName),
    domains: Type.Optional(Type.Array(Hostname, { uniqueItems: true, maxItems: 50 })),
    env: Type.Optional(Type.Record(EnvName, EnvValueSchema, ENV_MAP_OPTIONS)),
    replicas: Type.Optional(Replicas),
    ...KeptDataFields,
  },
  {
    additionalProperties: false,
    description:
      'Add an app from an image (its manifest says the rest) or from a compose file (`compose`, with `name`): ' +
      'exactly one of image and compose',
  },
);

export const UpdateAppBody = Type.Object(
  {
    image: Type.Optional(ImageRef),
    compose: Type.Optional(AppComposeText),
    env: Type.Optional(
      Type.Record(
        EnvName,
        Type.Union([EnvValueSchema, Type.Null()], {
          'x-rule': `must be a string of at most ${ENV_BOUNDS.maxValueBytes} characters, or null to remove it`,
        }),
        {
          ...ENV_MAP_OPTIONS,
          // Room to replace every variable at once: remove all 100, set 100 others. What the
          // app ends up with is held to the bounds when core compiles it.
          maxProperties: 2 * ENV_BOUNDS.maxVariables,
          'x-rule': `must be a map of at most ${2 * ENV_BOUNDS.maxVariables} changes`,
          description: 'Keys to set; null removes a key',
        },
      ),
    ),
    replicas: Type.Optional(Replicas),
    followTag: Type.Optional(
      Type.Boolean({
        description:
          "Roll the app out on every push of its image's tag to the platform's registry (push to deploy); false stops",
      }),
    ),
    runnerReplicas: Type.Optional(
      Type.Record(RunnerName, Replicas, {
        minProperties: 1,
        maxProperties: 50,
        additionalProperties: false,
        'x-rule': 'must map runner names to replicas',
        description: 'Replicas per runner (by name), kept over what the manifest says',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    'x-rule': 'must change at least one of image, compose, env, replicas, runnerReplicas, followTag',
  },
);

export const UpdateResult = Type.Object({
  app: Type.Ref('AppStatus'),
  rolledBack: Type.Boolean({ description: 'The new version failed its healthcheck and the swarm rolled it back' }),
  reason: Type.Optional(Type.String()),
});

export const NameParams = Type.Object({ name: AppName });
export const DomainBody = Type.Object(
  {
    domain: Hostname,
    certificate: Type.Optional(
      Type.Object(
        {
          certificatePem: Type.String({ minLength: 1, maxLength: 65536 }),
          privateKeyPem: Type.String({ minLength: 1, maxLength: 65536, description: 'Never shown again' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export const NeedBody = Type.Object({ need: NeedName, ...KeptDataFields }, { additionalProperties: false });

// ---- backups -------------------------------------------------------------------------------

export const BackupId = Type.String({
  pattern: '^([0-9]{8}T[0-9]{6}\\.[0-9]{3}Z|latest)$',
  'x-rule': 'must be a backup id such as 20250131T030000.123Z, or latest',
  description: 'A backup id (its UTC start time), or `latest` for the newest complete one',
});

export const BackupParams = Type.Object({ name: AppName, id: BackupId });

export const BackupSummary = Type.Object(
  {
    app: Type.String(),
    id: Type.String(),
    time: Type.String({ description: 'When it started' }),
    complete: Type.Boolean({ description: 'backup.json was written: only a complete backup is restored' }),
    trigger: Type.Optional(Type.Union([Type.Literal('manual'), Type.Literal('schedule')])),
    parts: Type.Array(
      Type.Object({
        name: Type.String({ description: 'database, storage or messagebus' }),
        file: Type.String(),
        bytes: Type.Integer({ description: 'Size as stored (compressed)' }),
      }),
    ),
    bytes: Type.Integer({ description: 'Size of every part together' }),
    reason: Type.Optional(Type.String({ description: 'Why it is not complete' })),
    damaged: Type.Optional(Type.Boolean({ description: 'Its backup.json does not validate' })),
  },
  { description: 'One backup of an app' },
);

export const BackupStatus = Type.Object(
  {
    app: Type.String(),
    schedule: Type.String({ description: 'off, daily, daily@HH:MM or every <duration>' }),
    last: Type.Optional(
      Type.Object({
        id: Type.String(),
        at: Type.String(),
        ageSeconds: Type.Integer(),
        bytes: Type.Integer(),
        trigger: Type.String(),
      }),
    ),
    count: Type.Integer({ description: 'Complete backups kept' }),
    nextDue: Type.Optional(Type.String()),
    lastFailure: Type.Optional(
      Type.Object({ at: Type.String(), reason: Type.String(), code: Type.Optional(Type.String()) }),
    ),
    lastVerify: Type.Optional(
      Type.Object({ at: Type.String(), id: Type.String(), ok: Type.Boolean(), reason: Type.Optional(Type.String()) }),
    ),
    state: BackupState,
  },
  { description: "The app's last successful backup and its age, the last failure and test restore" },
);

export const BackupList = Type.Object({ app: Type.String(), status: BackupStatus, backups: Type.Array(BackupSummary) });

export const CreateBackupBody = Type.Object(
  {},
  { additionalProperties: false, description: 'No fields: the backup holds what the app needs' },
);
export const VerifyBackupBody = Type.Object({}, { additionalProperties: false, description: 'No fields' });
export const RestoreBackupBody = Type.Object(
  {
    into: Type.Optional(
      Type.String({
        pattern: AppName.pattern,
        'x-rule': AppName['x-rule'] as string,
        description: "Restore into this (existing) app's database, storage and vhost instead",
      }),
    ),
    backupFirst: Type.Optional(
      Type.Boolean({ description: 'Back up what the restore replaces first, so it can be undone (default true)' }),
    ),
  },
  { additionalProperties: false },
);

const TableRows = Type.Array(TableRowsSchema);
export const BackupRestoreResult = Type.Object({
  app: Type.String(),
  id: Type.String(),
  into: Type.String({ description: 'The app whose data was replaced' }),
  parts: Type.Array(Type.String()),
  tables: TableRows,
  files: Type.Optional(Type.Integer()),
  previous: Type.Optional(Type.String({ description: 'The backup taken of the target just before' })),
});
export const BackupVerifyResult = Type.Object({
  app: Type.String(),
  id: Type.String(),
  verifiedAt: Type.String(),
  durationMs: Type.Integer(),
  tables: TableRows,
  files: Type.Optional(Type.Integer()),
});

export const BackupPolicy = BackupPolicySchema;

// ---- apply (the configuration directory) ---------------------------------------------------

const DesiredAppSchema = Type.Object(
  {
    name: AppName,
    image: ImageRef,
    domains: Type.Array(Hostname, { uniqueItems: true, maxItems: 50 }),
    envKeys: Type.Array(EnvName, { uniqueItems: true, maxItems: ENV_BOUNDS.maxVariables }),
    replicas: Replicas,
    runnerReplicas: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), Replicas)),
    followTag: Type.Optional(Type.Boolean()),
    needs: Type.Array(NeedName, { uniqueItems: true }),
  },
  { additionalProperties: false, description: "An app's inputs as its app.json holds them (no env values)" },
);

export const ApplyBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'Plan only: change nothing' })),
    prune: Type.Optional(Type.Boolean({ description: 'Remove apps the directory no longer has (their data stays)' })),
    apps: Type.Optional(
      Type.Array(DesiredAppSchema, {
        maxItems: 500,
        description: "The apps of another directory (a git checkout); absent: the platform's own",
      }),
    ),
    secrets: Type.Optional(
      Type.Record(AppName, Type.Record(EnvName, EnvValueSchema, ENV_MAP_OPTIONS), {
        description: "Env values per app and name, read from the directory's secrets/ or the environment",
      }),
    ),
  },
  { additionalProperties: false },
);

const FieldChangeSchema = Type.Object({
  field: Type.String({ description: 'image, domains, replicas, runnerReplicas, followTag, needs or env.<NAME>' }),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
  secret: Type.Optional(Type.Literal(true, { description: 'An env value differs (values are never shown)' })),
});

export const ApplyResult = Type.Object(
  {
    plan: Type.Object({
      prune: Type.Boolean(),
      apps: Type.Array(
        Type.Object({
          app: Type.String(),
          action: Type.Union(
            ['create', 'update', 'unchanged', 'remove', 'skip'].map((a) => Type.Literal(a)),
            { description: 'skip: a removal that waits for prune' },
          ),
          changes: Type.Array(FieldChangeSchema),
          note: Type.Optional(Type.String()),
        }),
      ),
    }),
    applied: Type.Boolean({ description: 'False for a dry run' }),
  },
  { $id: 'ApplyResult' },
);

export const DiffReply = Type.Object({
  drift: Type.Array(
    Type.Object({
      app: Type.String(),
      service: Type.String(),
      field: Type.String({ description: 'service, image, replicas, env.<NAME> or labels.<label>' }),
      directory: Type.Optional(Type.Unknown()),
      running: Type.Optional(Type.Unknown()),
      secret: Type.Optional(Type.Literal(true, { description: 'A secret value differs (values are never shown)' })),
    }),
  ),
});

// ---- jobs ----------------------------------------------------------------------------------

export const JobKind = Type.Union([
  Type.Literal('app.add'),
  Type.Literal('app.update'),
  Type.Literal('app.remove'),
  Type.Literal('app.need.attach'),
  Type.Literal('app.need.detach'),
  Type.Literal('app.restart'),
  Type.Literal('stack.deploy'),
  Type.Literal('backup.create'),
  Type.Literal('backup.restore'),
  Type.Literal('backup.verify'),
  Type.Literal('apply'),
]);

export const JobState = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  // Queued or running when the API stopped (a crash, a restart): finished, with the step it
  // reached as its last progress line and MC_JOB_INTERRUPTED as its problem.
  Type.Literal('interrupted'),
]);

export const StackDeployResult = Type.Object({
  stack: Type.String(),
  actions: Type.Array(Type.String(), { description: 'What the deploy changed, one line per object' }),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      state: Type.String(),
      running: Type.Integer(),
      desired: Type.Integer(),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

export const Job = Type.Object(
  {
    id: Type.String(),
    kind: JobKind,
    app: Type.Optional(Type.String({ description: 'The app (or stack) the job works on' })),
    state: JobState,
    progress: Type.Array(Type.Object({ at: Type.String(), step: Type.String() })),
    createdAt: Type.String(),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
    result: Type.Optional(
      Type.Union([
        Type.Ref('AppStatus'),
        UpdateResult,
        StackDeployResult,
        Type.Object({ removed: Type.String() }),
        BackupRestoreResult,
        BackupVerifyResult,
        BackupSummary,
        Type.Ref('ApplyResult'),
      ]),
    ),
    problem: Type.Optional(Type.Ref('Problem')),
  },
  {
    $id: 'Job',
    description:
      'A long operation: queued, running, then succeeded (result) or failed (problem); interrupted (problem) when the API stopped under it',
  },
);

export const JobParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });
export const JobQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 60, 'x-rule': 'must be a number of seconds from 0 to 60' }),
    ),
  },
  { additionalProperties: false },
);

/** `?wait=true` answers when the job is done; otherwise 202 with the job at once. */
export const WaitQuery = Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

// ---- tokens and webhooks -------------------------------------------------------------------

export const DeployToken = Type.Object(
  {
    id: Type.String(),
    app: Type.String(),
    description: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'DeployToken', description: 'A deploy token as listed: never the secret itself' },
);
export const NewDeployToken = Type.Object({
  id: Type.String(),
  app: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  token: Type.String({ description: 'The secret: shown this once, stored only as a sha256 hash' }),
});
export const CreateTokenBody = Type.Object(
  { app: AppName, description: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  app: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Type.Optional(Type.String()),
});
export const NewWebhook = Type.Object({
  app: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
  url: Type.String({ description: 'The URL to give Docker Hub (or any pusher): holds the secret; shown this once' }),
});

/** The Docker Hub webhook payload: what a push tells (the rest is ignored). */
export const DockerHubPush = Type.Object(
  {
    push_data: Type.Object({ tag: Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' }) }),
    repository: Type.Object({ repo_name: Type.String({ maxLength: 255 }) }),
  },
  { description: 'Docker Hub webhook payload (callback_url and other fields are accepted and ignored)' },
);

// ---- nodes, registry, stacks, images ---------------------------------------------------------

export const Node = Type.Object(
  {
    id: Type.String(),
    hostname: Type.String(),
    role: Type.Union([Type.Literal('manager'), Type.Literal('worker')]),
    state: Type.String(),
    availability: Type.String(),
    address: Type.String(),
    leader: Type.Boolean(),
    labels: Type.Record(Type.String(), Type.String()),
  },
  { $id: 'Node' },
);
export const NodeParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9]{1,64}$' }) });
export const NodeChange = Type.Object(
  {
    labels: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$' }),
        Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
        {
          additionalProperties: false,
          'x-key-rule': 'is not a valid label key',
          description: 'Labels to set; null removes a label',
        },
      ),
    ),
    availability: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('pause'), Type.Literal('drain')], {
        'x-rule': 'must be one of: active, pause, drain',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, 'x-rule': 'must change labels or availability' },
);

export const RegistryRepository = Type.Object({
  name: Type.String(),
  tags: Type.Integer(),
  bytes: Type.Integer({ description: 'Bytes of its images, layers shared between its tags counted once' }),
});
export const RegistryTag = Type.Object({
  repository: Type.String(),
  tag: Type.String(),
  digest: Type.String(),
  created: Type.Optional(Type.String()),
  size: Type.Integer(),
});

export const StackName = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
  'x-rule': 'must be a stack name: lowercase letters, digits, "_" and "-", at most 63 characters',
});
export const StackBody = Type.Object(
  {
    name: StackName,
    compose: Type.String({ minLength: 1, maxLength: 1048576, description: 'The compose file, as YAML text' }),
    prune: Type.Optional(Type.Boolean({ description: 'Remove services the file no longer has' })),
  },
  { additionalProperties: false },
);

export const ImageManifestBody = Type.Object({ image: ImageRef }, { additionalProperties: false });
export const ImageManifestReply = Type.Object({
  image: Type.String(),
  file: Type.String({ description: 'Which file at the image root held the manifest' }),
  text: Type.String({ description: 'The manifest as written' }),
  manifest: Type.Ref('Manifest'),
});

export const LogsQuery = Type.Object(
  {
    tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, 'x-rule': 'must be from 1 to 5000' })),
    since: Type.Optional(
      Type.String({
        maxLength: 40,
        description: 'Only lines since then: a duration back from now (`90s`, `10m`, `2h`, `3d`) or an RFC 3339 time',
      }),
    ),
    runner: Type.Optional(RunnerName),
    follow: Type.Optional(
      Type.Boolean({
        description: 'Keep the response open and stream each new line as NDJSON (`application/x-ndjson`)',
      }),
    ),
  },
  { additionalProperties: false },
);
export const LogLine = Type.Object({
  time: Type.String({ description: 'RFC 3339 with nanoseconds, as the Engine stamped it' }),
  service: Type.String({ description: '`web` or a runner' }),
  task: Type.String({ description: 'The service and the task slot, `web.1`' }),
  node: Type.String({ description: 'Hostname of the node the task runs on' }),
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
  line: Type.String(),
});
export const LogsReply = Type.Object({ lines: Type.Array(LogLine) });
export const RestartBody = Type.Object(
  { runner: Type.Optional(RunnerName) },
  { additionalProperties: false, description: 'Restart every service of the app, or only `runner` (`web` is one)' },
);

export const ExecBody = Type.Object(
  {
    command: Type.Array(Type.String({ maxLength: EXEC_MAX_ARG_LENGTH }), {
      minItems: 1,
      maxItems: EXEC_MAX_ARGS,
      description: 'The program and its arguments, run as is (no shell): `["sh", "-c", "..."]` for one',
    }),
    runner: Type.Optional(RunnerName),
    task: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9-]*\\.[1-9][0-9]{0,5}$',
        description: 'One task, as `app show` names it (`web.2`); instead of `runner`',
        'x-rule': 'must be SERVICE.SLOT such as web.1',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Run a command in a running task of `web` (the default), of `runner`, or in `task`',
  },
);

const TermSize = (what: string) => Type.Integer({ minimum: 1, maximum: 1000, description: `The terminal's ${what}` });

export const ExecSessionBody = Type.Object(
  {
    ...ExecBody.properties,
    rows: Type.Optional(TermSize('rows')),
    cols: Type.Optional(TermSize('columns')),
  },
  {
    additionalProperties: false,
    description: 'An exec with stdin and a terminal (`app exec -it`), attached next by the client',
  },
);

export const ExecSessionReply = Type.Object(
  {
    id: Type.String({ description: 'Send it as X-Minicloud-Exec-Session to attach: good once, for 30 s' }),
    task: Type.String(),
    node: Type.String(),
    attach: Type.String({ description: 'Where to attach: POST with Upgrade: tcp (then raw terminal bytes both ways)' }),
  },
  { additionalProperties: false },
);

export const ExecSessionParams = Type.Object(
  { name: NameParams.properties.name, id: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) },
  { additionalProperties: false },
);

export const ExecSessionState = Type.Object(
  {
    running: Type.Boolean(),
    exitCode: Type.Optional(Type.Integer({ description: 'Once it has ended' })),
  },
  { additionalProperties: false },
);

export const ResizeBody = Type.Object(
  { rows: TermSize('rows'), cols: TermSize('columns') },
  { additionalProperties: false },
);

export const ExecLine = Type.Union(
  [
    Type.Object({ task: Type.String(), node: Type.String() }, { description: 'First: where the command runs' }),
    Type.Object(
      { stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]), text: Type.String() },
      { description: 'Output, UTF-8, as the command writes it' },
    ),
    Type.Object({ exitCode: Type.Integer() }, { description: "Last: the command's exit code" }),
  ],
  { description: 'One line of the NDJSON answer of an exec' },
);
// ---- stats ----------------------------------------------------------------------------------

const Bytes = (description: string) => Type.Integer({ minimum: 0, description });
export const StatsQuery = Type.Object({ runner: Type.Optional(RunnerName) }, { additionalProperties: false });
export const TaskStats = Type.Object({
  service: Type.String({ description: '`web` or a runner' }),
  task: Type.String({ description: 'The service and the task slot, `web.1`' }),
  node: Type.String({ description: 'Hostname of the node the task runs on' }),
  restarts: Type.Integer({
    minimum: 0,
    description: 'Earlier tasks of this slot that ended, as the swarm still lists them',
  }),
  cpuPercent: Type.Optional(Type.Number({ minimum: 0, description: 'Over about the last second; 100 is one core' })),
  memoryBytes: Type.Optional(Bytes('In use, without the page cache the kernel can drop')),
  memoryLimitBytes: Type.Optional(Bytes("The service's limit, else the node's memory")),
  rxBytes: Type.Optional(Bytes('Received since the task started, all interfaces')),
  txBytes: Type.Optional(Bytes('Sent since the task started, all interfaces')),
  error: Type.Optional(Type.String({ description: 'Why this task has no figures' })),
});
export const StatsSample = Type.Object({
  at: Type.String(),
  cpuPercent: Type.Optional(Type.Number({ minimum: 0, description: 'Summed over the tasks, over the minute before' })),
  memoryBytes: Bytes('Summed over the tasks'),
  memoryLimitBytes: Type.Optional(Bytes('Summed over the tasks, when each has a limit')),
  rxBytes: Bytes('Received, summed over the tasks, since each started'),
  txBytes: Bytes('Sent, summed over the tasks, since each started'),
  tasks: Type.Integer({ minimum: 0 }),
});
export const AppStatsReply = Type.Object({
  app: Type.String(),
  at: Type.String(),
  tasks: Type.Array(TaskStats),
  history: Type.Array(StatsSample, {
    description: 'The whole app, one sample a minute, the last hour, oldest first (empty after the API restarted)',
  }),
});
const UsedBy = Type.Array(Type.Object({ app: Type.String(), bytes: Bytes('') }));
export const ServerReply = Type.Object({
  at: Type.String(),
  nodes: Type.Array(
    Type.Object({
      nodeId: Type.String(),
      hostname: Type.String(),
      totalBytes: Type.Optional(Bytes("The node's memory")),
      platformBytes: Bytes("Memory used by the platform's own services on this node"),
      apps: UsedBy,
      otherBytes: Bytes('Memory used by other stacks'),
      error: Type.Optional(Type.String({ description: 'Why this node could not be read' })),
    }),
  ),
  disk: Type.Optional(
    Type.Object(
      {
        path: Type.String(),
        totalBytes: Bytes(''),
        usedBytes: Bytes(''),
        freeBytes: Bytes('Free for unprivileged use'),
        platformBytes: Bytes("The data dir less the apps' storage"),
        apps: UsedBy,
        measuredAt: Type.String({
          description: 'When the directory sizes were measured (they are kept a few minutes)',
        }),
      },
      { description: "The data dir's filesystem; absent when the API has no data dir" },
    ),
  ),
});

// ---- events and notifications --------------------------------------------------------------

const EventLevel = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')]);
export const EventsQuery = Type.Object(
  {
    app: Type.Optional(AppName),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only events with a larger id' })),
    level: Type.Optional(Type.Union([EventLevel], { description: 'Only events at or above this level' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, 'x-rule': 'must be from 1 to 1000' })),
  },
  { additionalProperties: false },
);
export const PlatformEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  kind: Type.String({ description: '`app.add`, `app.update`, ... `api PUT /v1/...`, `alert.crash-loop`, ...' }),
  level: EventLevel,
  app: Type.Optional(Type.String()),
  actor: Type.String({ description: '`admin`, `deploy-token <id>` or `platform`' }),
  message: Type.String(),
});
export const EventList = Type.Object({ events: Type.Array(PlatformEvent) });
export const NotifyView = Type.Object({
  webhook: Type.Union([Type.String(), Type.Null()], { description: 'Scheme and host of the webhook; null when off' }),
  minLevel: EventLevel,
});
export const NotifyBody = Type.Object(
  {
    webhook: Type.String({
      maxLength: 2000,
      pattern: '^https?://',
      'x-rule': 'must be an http or https URL',
    }),
    minLevel: Type.Optional(EventLevel),
  },
  { additionalProperties: false },
);

// ---- the registry's push notifications -----------------------------------------------------

export const RegistryEnvelope = Type.Object(
  {
    events: Type.Array(
      Type.Object({
        action: Type.Optional(Type.String({ maxLength: 32 })),
        target: Type.Optional(
          Type.Object({
            mediaType: Type.Optional(Type.String({ maxLength: 255 })),
            repository: Type.Optional(Type.String({ maxLength: 255 })),
            tag: Type.Optional(Type.String({ maxLength: 128 })),
            digest: Type.Optional(Type.String({ maxLength: 100 })),
          }),
        ),
      }),
      { maxItems: 1000 },
    ),
  },
  { description: "The registry's notification envelope (application/vnd.docker.distribution.events.v1+json)" },
);

/** Schemas referenced by `$ref`: registered once with Fastify, listed once in the document. */
export const SHARED_SCHEMAS = [
  Problem,
  Manifest,
  ServiceStatus,
  AppStatus,
  AppSummary,
  ApplyResult,
  Job,
  DeployToken,
  Node,
] as const;

export const SettleServicesReply = Type.Object({
  stopped: Type.Array(Type.String(), { description: 'The services stopped now (mariadb, ...)' }),
});

export const SharedServicesReply = Type.Object({
  services: Type.Array(
    Type.Object({
      service: Type.String({ description: 'Its name in the management stack (mariadb)' }),
      needs: Type.Array(NeedName, { description: 'The needs whose shares live in it' }),
      state: Type.Union([Type.Literal('running'), Type.Literal('idle'), Type.Literal('stopped')], {
        description:
          'running; idle: stopped because no app needs it and it holds no app data (the first app that needs it starts it); stopped: down although not idle (scaled down by hand)',
      }),
      apps: Type.Array(Type.String(), { description: 'The apps that need it' }),
    }),
  ),
});

// ---- disk space ----------------------------------------------------------------------------

const DiskSpaceLevel = Type.Union([Type.Literal('ok'), Type.Literal('low'), Type.Literal('critical')], {
  description: 'ok; low: under 10% or 1 GiB free; critical: under 3% or 256 MiB free (backups are refused)',
});

export const DiskSpaceReply = Type.Object({
  /** The worst level of all the filesystems. */
  level: DiskSpaceLevel,
  filesystems: Type.Array(
    Type.Object({
      paths: Type.Array(Type.String(), {
        description: 'The watched paths on this filesystem (data dir, backups, registry, storage; those that exist)',
      }),
      totalBytes: Type.Number(),
      freeBytes: Type.Number({ description: 'Free to the services (not the part reserved for root)' }),
      freePercent: Type.Integer({ description: 'Whole percent free, rounded down' }),
      level: DiskSpaceLevel,
      reason: Type.String({ description: '/data/minicloud: 0.8 GiB free of 20 GiB (4%)' }),
    }),
  ),
});
