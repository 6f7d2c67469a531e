import type { ComposeDeploy, ComposeNetwork, ComposeService } from '../compose/types.js';
import { escapeInterpolation } from '../compose/interpolation.js';
import { LABELS, storageNodeLabel } from '../labels.js';
import type { ErrorDetail } from '../errors.js';
import { NEED_ENV_NAMES, needKind, type NeedName } from '../needs/registry.js';
import { RESERVED_APP_NAMES, settingsError, type StackSettings } from './settings.js';
import { RESTART_POLICY, ROLLBACK_CONFIG, UPDATE_CONFIG } from './deploy-policy.js';

// The pieces of a compiled stack that do not depend on where the app came from: the manifest
// compiler (compile.ts) and the compose-app compiler (compose-app/compile.ts) both build their
// services from these, so both kinds of app get the same networks, labels, deploy policy,
// env handling, credentials file and storage.

/** Compose keys of the networks inside the stack file. */
export const NET = { proxy: 'proxy', services: 'services', app: 'app' } as const;

/** Refuses a reserved app name, and operator env that would shadow what the needs give. */
export function checkAppNames(name: string, settings: StackSettings, field: string): void {
  const details: ErrorDetail[] = [];
  if (RESERVED_APP_NAMES.includes(name)) {
    details.push({ path: field, message: `"${name}" is reserved by the platform (${RESERVED_APP_NAMES.join(', ')})` });
  }
  for (const key of NEED_ENV_NAMES) {
    if (key in settings.env || settings.secretEnv.includes(key))
      details.push({ path: `env.${key}`, message: 'is set by the platform from the app needs' });
  }
  if (details.length > 0) throw settingsError(details);
}

/** Every domain routed to the app: the default `<app>.<base domain>` first, each once. */
export function appDomains(name: string, settings: StackSettings, extra: readonly string[] = []): string[] {
  const all = [`${name}.${settings.baseDomain}`, ...extra, ...settings.domains];
  return [...new Set(all)];
}

/** What an app's needs ask of the stack: the shared services network, a storage directory. */
export interface NeedsUse {
  needs: readonly NeedName[];
  usesServices: boolean;
  usesStorage: boolean;
  /** The env file with the needs' env and the secretEnv values, when there is anything to put in it. */
  credentialsFile?: string;
  storageDir?: string;
}

export function needsUse(name: string, needs: readonly NeedName[], settings: StackSettings): NeedsUse {
  const usesServices = needs.some((n) => needKind(n).service !== undefined);
  const usesStorage = needs.includes('storage');
  const credentialsFile =
    usesServices || settings.secretEnv.length > 0 ? `${settings.secretsDir}/${name}.env` : undefined;
  const storageDir = usesStorage ? `${settings.dataDir}/storage/${name}` : undefined;
  return {
    needs,
    usesServices,
    usesStorage,
    ...(credentialsFile ? { credentialsFile } : {}),
    ...(storageDir ? { storageDir } : {}),
  };
}

/**
 * The app's own env (from the image or the file: not secret), overridden by the operator's. A
 * variable in secretEnv is left out: the env file gives it, and `environment` would override the file.
 */
export function sortedEnv(own: Readonly<Record<string, string>>, settings: StackSettings): Record<string, string> {
  const merged: Record<string, string> = { ...own, ...settings.env };
  const env: Record<string, string> = {};
  for (const key of Object.keys(merged).sort()) {
    if (!settings.secretEnv.includes(key)) env[key] = escapeInterpolation(merged[key]!);
  }
  return env;
}

/** `deploy.resources` from a memory and CPU limit; undefined when neither is set. */
export function resourceLimits(memory: string | undefined, cpus: string | undefined): ComposeDeploy['resources'] {
  if (memory === undefined && cpus === undefined) return undefined;
  return {
    limits: { ...(memory !== undefined ? { memory } : {}), ...(cpus !== undefined ? { cpus } : {}) },
  };
}

/** How one service of an app is deployed. */
export interface ServiceDeployOptions {
  app: string;
  role: 'web' | 'runner';
  replicas: number;
  /** The needs listed in its `minicloud.needs` label ([]: none). */
  needs: readonly NeedName[];
  limits?: ComposeDeploy['resources'];
  /** Pinned to the node labelled as holding the app's storage. */
  pinned: boolean;
}

/** The platform's deploy policy for every service: labels, restart, rolling update and rollback. */
export function serviceDeploy(o: ServiceDeployOptions, settings: StackSettings): ComposeDeploy {
  return {
    mode: 'replicated',
    replicas: o.replicas,
    endpoint_mode: settings.endpointMode,
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.app]: o.app,
      [LABELS.role]: o.role,
      ...(o.needs.length > 0 ? { [LABELS.needs]: o.needs.join(',') } : {}),
    },
    ...(o.limits ? { resources: o.limits } : {}),
    restart_policy: { ...RESTART_POLICY },
    update_config: { ...UPDATE_CONFIG },
    rollback_config: { ...ROLLBACK_CONFIG },
    ...(o.pinned ? { placement: { constraints: [`node.labels.${storageNodeLabel(o.app)} == true`] } } : {}),
  };
}

/** A service's networks, in the order the stack lists them: proxy, then the app's own, then services. */
export function serviceNetworks(o: { proxy: boolean; services: boolean }): Record<string, null> {
  const networks: Record<string, null> = {};
  for (const net of [...(o.proxy ? [NET.proxy] : []), NET.app, ...(o.services ? [NET.services] : [])])
    networks[net] = null;
  return networks;
}

/** The bind mount of the app's storage directory at `path`. */
export function storageMount(storageDir: string, path: string): NonNullable<ComposeService['volumes']>[number] {
  return { type: 'bind', source: storageDir, target: path };
}

/** The labels the proxy and the platform read back from the routed service. */
export function routingLabels(
  domains: readonly string[],
  expose: readonly { proto: 'http' | 'tcp'; port: number }[],
  image: string,
): Record<string, string> {
  const httpPort = expose.find((e) => e.proto === 'http')?.port;
  const tcpPorts = expose.filter((e) => e.proto === 'tcp').map((e) => e.port);
  return {
    [LABELS.domains]: domains.join(','),
    ...(httpPort !== undefined ? { [LABELS.httpPort]: String(httpPort) } : {}),
    ...(tcpPorts.length > 0 ? { [LABELS.tcpPorts]: tcpPorts.join(',') } : {}),
    [LABELS.image]: image,
  };
}

/** The stack's networks: the external proxy and services networks when used, and the app's private overlay. */
export function stackNetworks(
  app: string,
  settings: StackSettings,
  o: { proxy: boolean; services: boolean },
): Record<string, ComposeNetwork> {
  const networks: Record<string, ComposeNetwork> = {};
  if (o.proxy) networks[NET.proxy] = { external: true, name: settings.proxyNetwork };
  if (o.services) networks[NET.services] = { external: true, name: settings.servicesNetwork };
  networks[NET.app] = { driver: 'overlay', labels: { [LABELS.managed]: 'true', [LABELS.app]: app } };
  return networks;
}
