import type { ComposeFile, ComposeService, ComposeVolume } from '../compose/types.js';
import { escapeInterpolationDeep } from '../compose/interpolation.js';
import { LABELS } from '../labels.js';
import type { CompiledStack } from '../compiler/compile.js';
import { emitComposeYaml } from '../compiler/emit.js';
import { resolveComposeSettings, settingsError, type StackSettings } from '../compiler/settings.js';
import {
  appDomains,
  checkAppNames,
  needsUse,
  resourceLimits,
  routingLabels,
  serviceDeploy,
  serviceNetworks,
  sortedEnv,
  stackNetworks,
  storageMount,
  type NeedsUse,
} from '../compiler/stack-parts.js';
import { ALLOWED_SERVICE_KEYS } from './allowlist.js';
import type { ComposeApp } from './validate.js';

// A compose app + settings -> the same kind of stack a manifest app compiles to, built from
// the same parts (compiler/stack-parts.ts): the routed service on the proxy network with the
// routing labels, every service on the app's private network, the services that get the needs
// on the shared services network with the env file, storage mounted for its one service and
// pinning it, and the platform's deploy policy on all of them.

/** Service keys the compiler copies from the file as they are (besides image, env, volumes, deploy). */
const COPIED_KEYS = ALLOWED_SERVICE_KEYS.filter(
  (k) => !['image', 'environment', 'volumes', 'deploy'].includes(k),
) as readonly (keyof ComposeService)[];

interface ServiceContext {
  app: ComposeApp;
  name: string;
  settings: StackSettings;
  use: NeedsUse;
  domains: string[];
  routed: string | undefined;
}

function compileService(key: string, svc: ComposeService, c: ServiceContext): ComposeService {
  const { app, settings, use } = c;
  const isRouted = key === c.routed;
  // A private service gets neither the needs' env file nor the network to reach them.
  const getsNeeds = !app.private.includes(key);
  const own = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, v ?? '']));
  const environment = sortedEnv(own, settings);
  const storage = app.storage?.service === key && use.storageDir !== undefined;
  const volumes = [
    ...escapeInterpolationDeep(svc.volumes ?? []),
    ...(storage ? [storageMount(use.storageDir!, escapeInterpolationDeep(app.storage!.path))] : []),
  ];
  const copied: ComposeService = {};
  for (const field of COPIED_KEYS) {
    if (svc[field] !== undefined) Object.assign(copied, { [field]: escapeInterpolationDeep(svc[field]) });
  }
  const limits = svc.deploy?.resources?.limits;
  const out: ComposeService = {
    image: svc.image!,
    ...copied,
    ...(Object.keys(environment).length > 0 ? { environment } : {}),
    ...(getsNeeds && use.credentialsFile ? { env_file: [use.credentialsFile] } : {}),
    networks: serviceNetworks({ proxy: isRouted, services: getsNeeds && use.usesServices }),
    ...(volumes.length > 0 ? { volumes } : {}),
    deploy: serviceDeploy(
      {
        app: c.name,
        role: isRouted ? 'web' : 'runner',
        // The operator scales the routed service (settings.replicas, as a manifest app's web).
        replicas: isRouted ? settings.replicas : (svc.deploy?.replicas ?? 1),
        needs: getsNeeds ? app.needs : [],
        ...(limits ? { limits: resourceLimits(limits.memory, limits.cpus) } : {}),
        pinned: storage,
      },
      settings,
    ),
  };
  if (isRouted) out.deploy!.labels = { ...out.deploy!.labels, ...routingLabels(c.domains, app.expose, svc.image!) };
  return out;
}

/** The app's own volumes, labelled as every object minicloud creates is. */
function appVolumes(app: ComposeApp, name: string): Record<string, ComposeVolume> | undefined {
  if (app.compose.volumes === undefined) return undefined;
  const volumes: Record<string, ComposeVolume> = {};
  for (const [key, volume] of Object.entries(app.compose.volumes)) {
    volumes[key] = {
      labels: { ...escapeInterpolationDeep(volume.labels ?? {}), [LABELS.managed]: 'true', [LABELS.app]: name },
    };
  }
  return volumes;
}

/**
 * Compose app + settings (as compileStack takes them, without `image`: the file names its
 * images; `name` is required, as the file names no app) -> a version 3.8 stack. Pure and
 * deterministic like compileStack; no secret enters the text.
 */
export function compileComposeApp(app: ComposeApp, settingsInput: unknown): CompiledStack {
  const settings = resolveComposeSettings(settingsInput);
  if (settings.name === undefined) {
    throw settingsError([{ path: 'name', message: 'is required: a compose file does not name its app' }]);
  }
  const name = settings.name;
  checkAppNames(name, settings, 'name');
  const domains = appDomains(name, settings, app.domains);
  const routed = app.expose[0]?.service;
  const use = needsUse(name, app.needs, settings);
  const context: ServiceContext = { app, name, settings, use, domains, routed };

  const services: Record<string, ComposeService> = {};
  for (const [key, svc] of Object.entries(app.compose.services)) services[key] = compileService(key, svc, context);

  const servicesNetwork = use.usesServices && Object.keys(services).some((k) => !app.private.includes(k));
  const compose: ComposeFile = {
    version: '3.8',
    services,
    networks: stackNetworks(name, settings, { proxy: routed !== undefined, services: servicesNetwork }),
  };
  const volumes = appVolumes(app, name);
  if (volumes) compose.volumes = volumes;
  return {
    name,
    domains,
    ...(routed !== undefined ? { routedService: routed } : {}),
    compose,
    yaml: emitComposeYaml(compose, { app: name, from: 'the app compose file' }),
    ...(use.credentialsFile ? { credentialsFile: use.credentialsFile } : {}),
    ...(use.storageDir ? { storageDir: use.storageDir } : {}),
  };
}
