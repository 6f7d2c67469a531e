import type { Manifest } from '../manifest/normalise.js';
import type { ComposeDeploy, ComposeFile, ComposeService } from '../compose/types.js';
import { escapeInterpolation } from '../compose/interpolation.js';
import { resolveSettings } from './settings.js';
import { compileHealthcheck } from './healthcheck.js';
import { emitComposeYaml } from './emit.js';
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
} from './stack-parts.js';

export interface CompiledStack {
  /** Stack name: the app name. */
  name: string;
  /** Every domain routed to the app, the default `<app>.<base domain>` first. */
  domains: string[];
  /**
   * The service (its key in the stack) the proxy routes the domains to, when the app exposes
   * a port: `web` for a manifest app, the `x-minicloud.expose` service for a compose app.
   */
  routedService?: string;
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

function resources(manifest: Manifest): ComposeDeploy['resources'] | undefined {
  const { memory, cpus } = manifest.resources;
  return resourceLimits(memory, cpus !== undefined ? String(cpus) : undefined);
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
  checkAppNames(name, settings, settings.name !== undefined ? 'name' : 'manifest.name');

  const domains = appDomains(name, settings);
  const httpPort = manifest.expose.find((e) => e.proto === 'http')?.port;
  const use = needsUse(name, manifest.needs, settings);
  const { credentialsFile, storageDir } = use;
  const environment = sortedEnv(manifest.env, settings);
  const limits = resources(manifest);
  const exposes = manifest.expose.length > 0;

  // What web and runners share: one image, one environment, one place for the data.
  const base = (role: 'web' | 'runner', replicas: number, proxy: boolean): ComposeService => ({
    image: settings.image,
    ...(Object.keys(environment).length > 0 ? { environment: { ...environment } } : {}),
    ...(credentialsFile ? { env_file: [credentialsFile] } : {}),
    networks: serviceNetworks({ proxy, services: use.usesServices }),
    ...(storageDir ? { volumes: [storageMount(storageDir, manifest.storage.path)] } : {}),
    deploy: serviceDeploy(
      { app: name, role, replicas, needs: manifest.needs, ...(limits ? { limits } : {}), pinned: use.usesStorage },
      settings,
    ),
  });

  const web = base('web', settings.replicas, exposes);
  if (manifest.healthcheck) web.healthcheck = compileHealthcheck(manifest.healthcheck, httpPort);
  web.deploy!.labels = { ...web.deploy!.labels, ...routingLabels(domains, manifest.expose, settings.image) };

  const services: Record<string, ComposeService> = { web };
  for (const runner of manifest.runners) {
    const svc = base('runner', runner.replicas, false);
    const command =
      typeof runner.command === 'string'
        ? escapeInterpolation(runner.command)
        : runner.command.map(escapeInterpolation);
    services[runner.name] = { image: svc.image, command, ...withoutImage(svc) };
  }

  const networks = stackNetworks(name, settings, { proxy: exposes, services: use.usesServices });
  const compose: ComposeFile = { version: '3.8', services, networks };
  return {
    name,
    domains,
    ...(exposes ? { routedService: 'web' } : {}),
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
