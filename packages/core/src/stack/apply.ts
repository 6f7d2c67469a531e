import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { MinicloudError } from '../errors.js';
import { authConfig, registryOf, type RegistryAuth } from '../engine/registry-auth.js';
import { engineMessage } from '../engine/client.js';
import type { Action, ActualObject, StackPlan } from './plan.js';
import type { DesiredSecretOrConfig, DesiredStack, ServiceSpec } from './types.js';

export interface ApplyOptions {
  /**
   * Credentials per registry, sent as X-Registry-Auth with each service whose image lives
   * there, so every node can pull from a private registry (`--with-registry-auth`).
   */
  registryAuth?: RegistryAuth[];
}

function authFor(spec: ServiceSpec, auths: RegistryAuth[]): object {
  const image = ((spec.TaskTemplate['ContainerSpec'] ?? {}) as { Image?: string }).Image ?? '';
  const match = auths.find((a) => a.serveraddress === registryOf(image));
  return match ? authConfig(match) : {};
}

/** dockerode's update(auth, opts): @types/dockerode only knows update(opts). */
interface AuthedUpdate {
  update(auth: object, opts: { _query: object; _body: object }): Promise<unknown>;
}

type RefList = { SecretName?: string; SecretID?: string; ConfigName?: string; ConfigID?: string }[];

/** Wraps an engine refusal with the object it was about, keeping the engine's own words. */
async function step<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `${what}: ${engineMessage(error)}`, [], { cause: error });
  }
}

async function createSecretOrConfig(docker: Docker, o: DesiredSecretOrConfig): Promise<string> {
  const body = { Name: o.name, Labels: o.labels, Data: o.data?.reveal().toString('base64') ?? '' };
  const created = (await step(`create ${o.kind} ${o.name}`, () =>
    o.kind === 'secret' ? docker.createSecret(body) : docker.createConfig(body),
  )) as { id?: string; ID?: string };
  return created.id ?? created.ID ?? '';
}

/** Fills SecretID/ConfigID into a spec copy, now that the referenced objects exist. */
function withReferenceIds(spec: ServiceSpec, ids: Map<string, string>): ServiceSpec {
  const copy = structuredClone(spec);
  const container = (copy.TaskTemplate['ContainerSpec'] ?? {}) as { Secrets?: RefList; Configs?: RefList };
  for (const ref of container.Secrets ?? []) ref.SecretID = ids.get(`secret:${ref.SecretName}`) ?? '';
  for (const ref of container.Configs ?? []) ref.ConfigID = ids.get(`config:${ref.ConfigName}`) ?? '';
  return copy;
}

/**
 * Carries out a plan: networks, volumes, secrets and configs first (services refer to them),
 * then services, then the removals `--prune` asked for. Each call is one Engine API request.
 */
export async function applyPlan(
  docker: Docker,
  desired: DesiredStack,
  plan: StackPlan,
  actual: ActualObject[],
  options: ApplyOptions = {},
): Promise<void> {
  const ids = new Map<string, string>();
  for (const o of actual) if (o.kind === 'secret' || o.kind === 'config') ids.set(`${o.kind}:${o.name}`, o.id);
  const creates = (kind: Action['kind']) =>
    new Set(plan.actions.filter((a) => a.op === 'create' && a.kind === kind).map((a) => a.name));

  const networks = creates('network');
  for (const n of desired.networks) {
    if (networks.has(n.name))
      await step(`create network ${n.name}`, () =>
        docker.createNetwork(n.create as unknown as Docker.NetworkCreateOptions),
      );
  }
  const volumes = creates('volume');
  for (const v of desired.volumes) {
    if (volumes.has(v.name))
      await step(`create volume ${v.name}`, () =>
        docker.createVolume(v.create as unknown as Docker.VolumeCreateOptions),
      );
  }
  for (const kind of ['secret', 'config'] as const) {
    const wanted = creates(kind);
    for (const o of kind === 'secret' ? desired.secrets : desired.configs) {
      if (wanted.has(o.name)) ids.set(`${kind}:${o.name}`, await createSecretOrConfig(docker, o));
    }
  }

  const auths = options.registryAuth ?? [];
  const recreate = networkRecreator(docker, desired);
  // Services are independent of each other: a few requests at once instead of one by one
  // (the docker CLI's way), without flooding a small manager.
  const limit = pLimit(SERVICE_CONCURRENCY);
  const serviceActions = plan.actions.filter((a) => a.kind === 'service' && a.op !== 'unchanged');
  await Promise.all(
    serviceActions.map((action) =>
      limit(() =>
        applyServiceAction(docker, desired, action, ids, auths).catch(async (error: unknown) => {
          // A network the plan found may have been on its way out (swarm deletes a removed
          // network only once its last task is gone, and shows it until then): wait for it
          // to go, create it anew, and try once more.
          const network = missingNetwork(error, desired);
          if (!network) throw error;
          await recreate(network);
          await applyServiceAction(docker, desired, action, ids, auths);
        }),
      ),
    ),
  );
}

const SERVICE_CONCURRENCY = 6;

/** The desired network an engine refusal says is missing (`network shop_front not found`). */
export function missingNetwork(error: unknown, desired: DesiredStack): string | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const m = /network (\S+) not found/.exec(text);
  return m && desired.networks.some((n) => n.name === m[1]) ? m[1] : undefined;
}

const NETWORK_GONE_TIMEOUT_MS = 60_000;

/** Waits for a network being deleted to go, then creates it from the desired stack; once per name. */
function networkRecreator(docker: Docker, desired: DesiredStack): (name: string) => Promise<void> {
  const pending = new Map<string, Promise<void>>();
  return (name) => {
    let work = pending.get(name);
    if (!work) {
      work = (async () => {
        const deadline = Date.now() + NETWORK_GONE_TIMEOUT_MS;
        while ((await docker.listNetworks({ filters: { name: [name] } })).some((n) => n.Name === name)) {
          if (Date.now() > deadline)
            throw new MinicloudError('MC_ENGINE', `network ${name} is being removed and did not go within 60 s`);
          await new Promise((r) => setTimeout(r, 250));
        }
        const network = desired.networks.find((n) => n.name === name)!;
        await step(`create network ${name}`, () =>
          docker.createNetwork(network.create as unknown as Docker.NetworkCreateOptions),
        );
      })();
      pending.set(name, work);
    }
    return work;
  };
}

async function applyServiceAction(
  docker: Docker,
  desired: DesiredStack,
  action: Action,
  ids: Map<string, string>,
  auths: RegistryAuth[],
): Promise<void> {
  const service = desired.services.find((s) => s.name === action.name);
  if (action.op === 'create' && service) {
    const spec = withReferenceIds(service.spec, ids);
    await step(`create service ${action.name}`, () =>
      docker.createService(authFor(spec, auths), spec as unknown as Docker.CreateServiceOptions),
    );
  } else if (action.op === 'update' && service) {
    const spec = withReferenceIds(service.spec, ids);
    await step(`update service ${action.name}`, () =>
      (docker.getService(action.id) as unknown as AuthedUpdate).update(authFor(spec, auths), {
        _query: { version: action.version },
        _body: spec,
      }),
    );
  } else if (action.op === 'remove') {
    await step(`remove service ${action.name}`, () => docker.getService(action.id).remove());
  }
}
