import { Type, type Static } from '@sinclair/typebox';
import { APP_NAME_MAX, Replicas } from '../manifest/schema.js';
import { compileChecker } from '../schema/ajv.js';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import {
  checkEnvBytes,
  ENV_BOUNDS,
  ENV_MAP_OPTIONS,
  SETTINGS_ENV_NAME_PATTERN,
  SETTINGS_ENV_NAME_RULE,
  EnvValueSchema,
} from './env-bounds.js';
import { PLATFORM_SERVICE_NAMES, PLATFORM_STACK } from '../platform-names.js';

// The operator's side of a deployment: what the manifest cannot know (where the image is,
// which domains, how many replicas, how this swarm is wired).

export const IMAGE_REF_PATTERN =
  '^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*' +
  '(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';

export const HOSTNAME_PATTERN =
  '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

export const Hostname = Type.String({
  pattern: HOSTNAME_PATTERN,
  'x-rule': 'must be a lowercase host name such as app.example.com',
});

const AbsolutePath = Type.String({
  pattern: '^(/[A-Za-z0-9._-]+)+$',
  'x-rule': 'must be an absolute path of letters, digits and ._- segments',
});

const NetworkName = Type.String({
  pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$',
  'x-rule': 'must be a Docker network name',
});

const ImageRef = Type.String({
  pattern: IMAGE_REF_PATTERN,
  'x-rule': 'must be an image reference such as registry:5000/app:1.0',
});

/** Every setting but the image: what an app from a compose file is deployed with (its images are in the file). */
const SETTINGS_PROPERTIES = {
  name: Type.Optional(
    Type.String({
      pattern: `^[a-z]([a-z0-9-]{0,${APP_NAME_MAX - 2}}[a-z0-9])?$`,
      'x-rule': `must be a DNS label of at most ${APP_NAME_MAX} characters`,
    }),
  ),
  domains: Type.Optional(
    Type.Array(Hostname, { uniqueItems: true, 'x-rule': 'must be a list of distinct host names' }),
  ),
  baseDomain: Type.Optional(Hostname),
  replicas: Type.Optional(Replicas),
  endpointMode: Type.Optional(
    Type.Union([Type.Literal('vip'), Type.Literal('dnsrr')], { 'x-rule': 'must be one of: vip, dnsrr' }),
  ),
  proxyNetwork: Type.Optional(NetworkName),
  servicesNetwork: Type.Optional(NetworkName),
  dataDir: Type.Optional(AbsolutePath),
  secretsDir: Type.Optional(AbsolutePath),
  env: Type.Optional(Type.Record(Type.String({ pattern: SETTINGS_ENV_NAME_PATTERN }), EnvValueSchema, ENV_MAP_OPTIONS)),
  secretEnv: Type.Optional(
    Type.Array(Type.String({ pattern: SETTINGS_ENV_NAME_PATTERN, 'x-rule': SETTINGS_ENV_NAME_RULE }), {
      uniqueItems: true,
      maxItems: ENV_BOUNDS.maxVariables,
      'x-rule': 'must be a list of distinct environment variable names',
    }),
  ),
};

export const DeploySettingsSchema = Type.Object(
  { image: ImageRef, ...SETTINGS_PROPERTIES },
  { additionalProperties: false },
);

/** The settings of an app from a compose file: the same, without `image`. */
export const ComposeSettingsSchema = Type.Object(SETTINGS_PROPERTIES, { additionalProperties: false });

export type DeploySettingsInput = Static<typeof DeploySettingsSchema>;

export interface DeploySettings {
  image: string;
  name?: string;
  domains: string[];
  baseDomain: string;
  replicas: number;
  endpointMode: 'vip' | 'dnsrr';
  proxyNetwork: string;
  servicesNetwork: string;
  dataDir: string;
  /** Where each app's credentials env file lives: git-ignored, mode 0600. */
  secretsDir: string;
  env: Record<string, string>;
  /**
   * Names of the operator's variables whose values the stack reads from the app's env file
   * (`<secretsDir>/<app>.env`, 0600) instead of holding them: the stack keeps only the names.
   */
  secretEnv: string[];
}

export const DEFAULTS = {
  baseDomain: 'minicloud.localhost',
  replicas: 1,
  endpointMode: 'vip',
  proxyNetwork: 'minicloud-proxy',
  servicesNetwork: 'minicloud-services',
  dataDir: '/data/minicloud',
} as const;

/**
 * App names that would clash with the platform's own stack, services or host names. The stack
 * name matters most: an app `minicloud` with a runner `api` would be the service minicloud_api.
 */
export const RESERVED_APP_NAMES: readonly string[] = [PLATFORM_STACK, 'admin', ...PLATFORM_SERVICE_NAMES];

/** Deploy settings without the image: what the parts shared by both compilers read. */
export type StackSettings = Omit<DeploySettings, 'image'>;

const checkSettings = compileChecker(DeploySettingsSchema);
const checkComposeSettings = compileChecker(ComposeSettingsSchema);

export function resolveSettings(input: unknown): DeploySettings {
  const result = checkSettings(input);
  if (!result.ok) throw settingsError(result.details);
  return { image: result.value.image, ...withDefaults(result.value) };
}

/** The settings of an app from a compose file (no image), checked, with defaults filled. */
export function resolveComposeSettings(input: unknown): StackSettings {
  const result = checkComposeSettings(input);
  if (!result.ok) throw settingsError(result.details);
  return withDefaults(result.value);
}

function withDefaults(s: Static<typeof ComposeSettingsSchema>): StackSettings {
  const envProblems = checkEnvBytes(s.env ?? {});
  if (envProblems.length > 0) throw settingsError(envProblems);
  const dataDir = s.dataDir ?? DEFAULTS.dataDir;
  return {
    ...(s.name !== undefined ? { name: s.name } : {}),
    domains: s.domains ?? [],
    baseDomain: s.baseDomain ?? DEFAULTS.baseDomain,
    replicas: s.replicas ?? DEFAULTS.replicas,
    endpointMode: s.endpointMode ?? DEFAULTS.endpointMode,
    proxyNetwork: s.proxyNetwork ?? DEFAULTS.proxyNetwork,
    servicesNetwork: s.servicesNetwork ?? DEFAULTS.servicesNetwork,
    dataDir,
    secretsDir: s.secretsDir ?? `${dataDir}/secrets/apps`,
    env: s.env ?? {},
    secretEnv: s.secretEnv ?? [],
  };
}

export function settingsError(details: ErrorDetail[]): MinicloudError {
  const noun = details.length === 1 ? 'error' : 'errors';
  return new MinicloudError('MC_SETTINGS_INVALID', `deployment settings have ${details.length} ${noun}`, details);
}
