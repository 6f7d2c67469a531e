import type { ErrorDetail } from '../errors.js';
import type { ComposeDeploy, ComposeFile, ComposeService } from '../compose/types.js';
import { needEnvErrors, MIN_MEMORY, platformNameError } from '../manifest/rules.js';
import { sizeToBytes } from '../stack/units.js';
import { AppServiceName } from './schema.js';

// What a tenant's compose file may say. Tenants are hostile: the general compose loader
// (compose/load.ts) already refuses what stack deploy cannot do (build, privileged,
// network_mode, pid, ipc, devices, security_opt, extra_hosts, ...); on top of that an app's
// file may use only the keys listed here. Anything that could reach the host (its files, its
// ports, its environment), another app (its networks, volumes, secrets) or the platform's own
// settings (routing labels, placement, deploy policy) is refused by name, and a key not
// listed is refused too, so a key the loader learns later is not let through by default.

/** Service keys an app's file may use; the compiler copies them (the networks and deploy it sets itself). */
export const ALLOWED_SERVICE_KEYS = [
  'image',
  'command',
  'entrypoint',
  'environment',
  'healthcheck',
  'labels',
  'volumes',
  'deploy',
  'working_dir',
  'user',
  'hostname',
  'stop_grace_period',
  'init',
  'tty',
  'read_only',
  'cap_drop',
] as const;

const HOST_FILE = "would read a file on the platform's host";

/** Service keys the loader accepts and an app may not use, with the reason. */
export const REFUSED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  ports: 'would publish a port on every node of the swarm; x-minicloud.expose names the port the proxy routes to',
  networks:
    "cannot be chosen: every service is on the app's private network, and the platform adds the shared ones it needs",
  env_file: `${HOST_FILE}; use environment`,
  secrets: `${HOST_FILE} or name another app's secret; use environment, or needs for credentials`,
  configs: `${HOST_FILE} or name another app's config; put the file in the image`,
  cap_add: 'would give the containers privileges the platform does not give apps',
};

/** Deploy keys an app may set: how many copies run and their limits. */
const ALLOWED_DEPLOY_KEYS = ['replicas', 'resources'];

const REFUSED_DEPLOY_KEYS: Readonly<Record<string, string>> = {
  mode: 'cannot be chosen: a global service would run a task on every node; use replicas',
  endpoint_mode: "is the platform's setting (endpointMode)",
  labels: 'the platform sets the service labels (routing, app, needs); use labels on the service',
  placement: 'the platform places services (x-minicloud.storage keeps its service on the node holding the data)',
  restart_policy: "the platform's restart policy applies to every app",
  update_config: "the platform's rolling-update policy applies to every app",
  rollback_config: "the platform's rollback policy applies to every app",
};

/** Top-level sections an app's file may not have. */
const REFUSED_TOP_LEVEL: Readonly<Record<string, string>> = {
  networks: "cannot be defined: every service is on the app's private network",
  secrets: `${HOST_FILE} or name another app's secret; use environment, or needs for credentials`,
  configs: `${HOST_FILE} or name another app's config; put the file in the image`,
};

/** Label prefixes the platform and the engine read: an app setting them could pose as another. */
const RESERVED_LABEL_PREFIXES = ['minicloud.', 'com.docker.'];

export const MAX_SERVICES = 21;
export const MAX_REPLICAS = 100;
const MAX_CPUS = 64;

const SERVICE_NAME = new RegExp(AppServiceName.pattern!);

function labelErrors(labels: Readonly<Record<string, string>> | undefined, path: string): ErrorDetail[] {
  return Object.keys(labels ?? {})
    .filter((key) => RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p)))
    .map((key) => ({
      path: `${path}.${key}`,
      message: `is reserved for the platform (labels starting ${RESERVED_LABEL_PREFIXES.join(' or ')})`,
    }));
}

function deployErrors(deploy: ComposeDeploy, path: string): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const key of Object.keys(deploy)) {
    const why = REFUSED_DEPLOY_KEYS[key];
    if (why !== undefined) errors.push({ path: `${path}.${key}`, message: why });
    else if (!ALLOWED_DEPLOY_KEYS.includes(key))
      errors.push({ path: `${path}.${key}`, message: "is not allowed in an app's compose file" });
  }
  if (deploy.replicas !== undefined && deploy.replicas > MAX_REPLICAS) {
    errors.push({ path: `${path}.replicas`, message: `must be an integer from 0 to ${MAX_REPLICAS}` });
  }
  if (deploy.resources?.reservations !== undefined) {
    errors.push({
      path: `${path}.resources.reservations`,
      message: 'would hold node capacity back from other apps; set limits',
    });
  }
  const limits = deploy.resources?.limits;
  if (limits?.memory !== undefined && (sizeToBytes(limits.memory) ?? 0) < MIN_MEMORY) {
    errors.push({ path: `${path}.resources.limits.memory`, message: 'must be at least 6M (Docker refuses less)' });
  }
  if (limits?.cpus !== undefined && Number(limits.cpus) > MAX_CPUS) {
    errors.push({ path: `${path}.resources.limits.cpus`, message: `must be at most ${MAX_CPUS}` });
  }
  return errors;
}

function environmentErrors(env: Readonly<Record<string, string | null>>, path: string): ErrorDetail[] {
  const unset = Object.entries(env)
    .filter(([, value]) => value === null)
    .map(([key]) => ({
      path: `${path}.${key}`,
      message: "has no value, so it would be taken from the platform's own environment; give it a value",
    }));
  return [...unset, ...needEnvErrors(Object.keys(env), path)];
}

function volumeMountErrors(svc: ComposeService, path: string): ErrorDetail[] {
  return (svc.volumes ?? []).flatMap((mount, i) =>
    mount.type === 'bind'
      ? [
          {
            path: `${path}[${i}]`,
            message: "is a bind mount of the host's files; use a named volume, a tmpfs, or x-minicloud.storage",
          },
        ]
      : [],
  );
}

function serviceErrors(key: string, svc: ComposeService): ErrorDetail[] {
  const path = `services.${key}`;
  const errors: ErrorDetail[] = [];
  if (!SERVICE_NAME.test(key)) errors.push({ path, message: `name ${AppServiceName['x-rule'] as string}` });
  const platform = platformNameError(key, path);
  if (platform) errors.push(platform);
  for (const field of Object.keys(svc)) {
    const why = REFUSED_SERVICE_KEYS[field];
    if (why !== undefined) errors.push({ path: `${path}.${field}`, message: why });
    else if (!(ALLOWED_SERVICE_KEYS as readonly string[]).includes(field))
      errors.push({ path: `${path}.${field}`, message: "is not allowed in an app's compose file" });
  }
  if (svc.environment) errors.push(...environmentErrors(svc.environment, `${path}.environment`));
  errors.push(...labelErrors(svc.labels, `${path}.labels`));
  errors.push(...volumeMountErrors(svc, `${path}.volumes`));
  if (svc.deploy) errors.push(...deployErrors(svc.deploy, `${path}.deploy`));
  return errors;
}

/** Top-level volumes: the app's own, made by the stack; only labels may be set on them. */
function volumeErrors(compose: ComposeFile): ErrorDetail[] {
  return Object.entries(compose.volumes ?? {}).flatMap(([key, volume]) => {
    const path = `volumes.${key}`;
    const refused: ErrorDetail[] = Object.keys(volume)
      .filter((field) => field !== 'labels')
      .map((field) => ({
        path: `${path}.${field}`,
        message:
          field === 'external' || field === 'name'
            ? "would name a volume outside the app's stack"
            : 'cannot be set: the app gets a local volume of its own (a driver can mount host paths or shares)',
      }));
    return [...refused, ...labelErrors(volume.labels, `${path}.labels`)];
  });
}

/** Every way a loaded compose file breaks the app allowlist, each naming its path. */
export function allowlistErrors(compose: ComposeFile): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const [key, why] of Object.entries(REFUSED_TOP_LEVEL)) {
    if (compose[key as keyof ComposeFile] !== undefined) errors.push({ path: key, message: why });
  }
  const services = Object.entries(compose.services);
  if (services.length > MAX_SERVICES) {
    errors.push({ path: 'services', message: `must have at most ${MAX_SERVICES} services` });
  }
  for (const [key, svc] of services) errors.push(...serviceErrors(key, svc));
  errors.push(...volumeErrors(compose));
  return errors;
}
