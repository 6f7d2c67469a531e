import type { Manifest } from '../manifest/normalise.js';
import type { ComposeDeploy, ComposeFile, ComposeNetwork, ComposeService } from '../compose/types.js';
import { escapeInterpolation } from '../compose/interpolation.js';
import { LABELS, storageNodeLabel } from '../labels.js';
import { RESERVED_APP_NAMES, resolveSettings, settingsError, type DeploySettings } from './settings.js';
import { compileHealthcheck } from './healthcheck.js';
import { RESTART_POLICY, ROLLBACK_CONFIG, UPDATE_CONFIG } from './deploy-policy.js';
import { emitComposeYaml } from './emit.js';
import type { ErrorDetail } from '../errors.js';
import { NEED_ENV_NAMES, needKind } from '../needs/registry.js';

export interface CompiledStack {
  /** Stack name: the app name. */
  name: string;
  /** Every domain routed to the app, the default `<app>.<base domain>` first. */
  domains: string[];
  compose: ComposeFile;
  yaml: string;
  /**
   * The env file the stack reads the needs' env (DATABASE_URL, ...) and the values of
   * `secretEnv` from, when the app needs any of them.
   */
  credentialsFile?: string;
  /** Host directory that holds the app's storage, when it needs storage. */
  storageDir?: string;
}

/** Compose keys of the networks inside the stack file. */
const NET = { proxy: 'proxy', services: 'services', app: 'app' } as const;

function checkNames(name: string, settings: DeploySettings): void {
  const details: ErrorDetail[] = [];
  const field = settings.name !== undefined ? 'name' : 'manifest.name';
  if (RESERVED_APP_NAMES.includes(name)) {
    details.push({ path: field, message: `"${name}" is reserved by the platform (${RESERVED_APP_NAMES.join(', ')})` });
  }
  for (const key of NEED_ENV_NAMES) {
    if (key in settings.env || settings.secretEnv.includes(key))
      details.push({ path: `env.${key}`, message: 'is set by the platform from the app needs' });
  }
  if (details.length > 0) throw settingsError(details);
}

/**
 * The manifest's env (from the image: not secret), overridden by the operator's. A variable in
 * secretEnv is left out: the env file gives it, and `environment` would override the file.
 */
function sortedEnv(manifest: Manifest, settings: DeploySettings): Record<string, string> {
  const merged: Record<string, string> = { ...manifest.env, ...settings.env };
  const env: Record<string, string> = {};
  for (const key of Object.keys(merged).sort()) {
    if (!settings.secretEnv.includes(key)) env[key] = escapeInterpolation(merged[key]!);
  }
  return env;
}

function resources(manifest: Manifest): ComposeDeploy['resources'] | undefined {
  const { memory, cpus } = manifest.resources;
  if (memory === undefined && cpus === undefined) return undefined;
  return {
    limits: { ...(memory !== undefined ? { memory } : {}), ...(cpus !== undefined ? { cpus: String(cpus) } : {}) },
  };
}

/**
 * Manifest + settings -> a version 3.8 stack. Pure and deterministic: no I/O, no clock, no
 * randomness, keys in a fixed order, so the same input always gives byte-identical YAML.
 * Credentials and secretEnv values never enter the file: apps read them from an env_file kept
 * outside git, whose content the deploy turns into the containers' environment.
 */
export function compileStack(manifest: Manifest, settingsInput: unknown): CompiledStack {
  const settings = resolveSettings(settingsInput);
  const name = settings.name ?? manifest.name;
  checkNames(name, settings);

  const defaultDomain = `${name}.${settings.baseDomain}`;
  const domains = [defaultDomain, ...settings.domains.filter((d) => d !== defaultDomain)];
  const httpPort = manifest.expose.find((e) => e.proto === 'http')?.port;
  const tcpPorts = manifest.expose.filter((e) => e.proto === 'tcp').map((e) => e.port);
  const usesServices = manifest.needs.some((n) => needKind(n).service !== undefined);
  const usesStorage = manifest.needs.includes('storage');
  const credentialsFile =
    usesServices || settings.secretEnv.length > 0 ? `${settings.secretsDir}/${name}.env` : undefined;
  const storageDir = usesStorage ? `${settings.dataDir}/storage/${name}` : undefined;
  const environment = sortedEnv(manifest, settings);
  const limits = resources(manifest);

  const baseLabels = (role: string): Record<string, string> => ({
    [LABELS.managed]: 'true',
    [LABELS.app]: name,
    [LABELS.role]: role,
    ...(manifest.needs.length > 0 ? { [LABELS.needs]: manifest.needs.join(',') } : {}),
  });

  // What web and runners share: one image, one environment, one place for the data.
  const base = (role: string, replicas: number, extraNetworks: string[]): ComposeService => {
    const networks: Record<string, null> = {};
    for (const net of [...extraNetworks, NET.app, ...(usesServices ? [NET.services] : [])]) networks[net] = null;
    const deploy: ComposeDeploy = {
      mode: 'replicated',
      replicas,
      endpoint_mode: settings.endpointMode,
      labels: baseLabels(role),
      ...(limits ? { resources: limits } : {}),
      restart_policy: { ...RESTART_POLICY },
      update_config: { ...UPDATE_CONFIG },
      rollback_config: { ...ROLLBACK_CONFIG },
      ...(usesStorage ? { placement: { constraints: [`node.labels.${storageNodeLabel(name)} == true`] } } : {}),
    };
    return {
      image: settings.image,
      ...(Object.keys(environment).length > 0 ? { environment: { ...environment } } : {}),
      ...(credentialsFile ? { env_file: [credentialsFile] } : {}),
      networks,
      ...(storageDir ? { volumes: [{ type: 'bind', source: storageDir, target: manifest.storage.path }] } : {}),
      deploy,
    };
  };

  const web = base('web', settings.replicas, manifest.expose.length > 0 ? [NET.proxy] : []);
  if (manifest.healthcheck) web.healthcheck = compileHealthcheck(manifest.healthcheck, httpPort);
  web.deploy!.labels = {
    ...web.deploy!.labels,
    [LABELS.domains]: domains.join(','),
    ...(httpPort !== undefined ? { [LABELS.httpPort]: String(httpPort) } : {}),
    ...(tcpPorts.length > 0 ? { [LABELS.tcpPorts]: tcpPorts.join(',') } : {}),
    [LABELS.image]: settings.image,
  };

  const services: Record<string, ComposeService> = { web };
  for (const runner of manifest.runners) {
    const svc = base('runner', runner.replicas, []);
    const command =
      typeof runner.command === 'string'
        ? escapeInterpolation(runner.command)
        : runner.command.map(escapeInterpolation);
    services[runner.name] = { image: svc.image, command, ...withoutImage(svc) };
  }

  const networks: Record<string, ComposeNetwork> = {};
  if (manifest.expose.length > 0) networks[NET.proxy] = { external: true, name: settings.proxyNetwork };
  if (usesServices) networks[NET.services] = { external: true, name: settings.servicesNetwork };
  networks[NET.app] = { driver: 'overlay', labels: { [LABELS.managed]: 'true', [LABELS.app]: name } };

  const compose: ComposeFile = { version: '3.8', services, networks };
  return {
    name,
    domains,
    compose,
    yaml: emitComposeYaml(compose, { app: name, image: settings.image }),
    ...(credentialsFile ? { credentialsFile } : {}),
    ...(storageDir ? { storageDir } : {}),
  };
}

function withoutImage(svc: ComposeService): Omit<ComposeService, 'image'> {
  const { image: _image, ...rest } = svc;
  return rest;
}
