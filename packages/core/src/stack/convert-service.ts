import { LABELS } from '../labels.js';
import { DEFAULT_NETWORK } from '../compose/references.js';
import type { ComposeFileReference, ComposeService } from '../compose/types.js';
import { capabilities, containerEnv, dropUndefined, healthcheck, mount, words } from './convert-container.js';
import { compareText, nanos, objectName, own, sortedRecord, type ConvertContext } from './convert-context.js';
import { endpointSpec, placement, resources, restartPolicy, serviceMode, updateConfig } from './convert-deploy.js';
import { canonicalJson, sha256Hex } from './hash.js';
import { SPEC_HASH_LABEL, STACK_NAMESPACE_LABEL, type DesiredService, type ServiceSpec } from './types.js';

// One compose service -> the ServiceSpec `docker stack deploy` would send
// (docker/cli cli/compose/convert/service.go Service).

/** The label docker keeps the image as written in, to tell an image change from a digest pin. */
export const STACK_IMAGE_LABEL = 'com.docker.stack.image';

/** Networks that are not user-defined take no aliases (docker's container.NetworkMode.IsUserDefined). */
const isUserDefined = (name: string) =>
  !['default', 'bridge', 'host', 'none'].includes(name) && !name.startsWith('container:');

function networks(ctx: ConvertContext, key: string, svc: ComposeService) {
  const attached = svc.networks && Object.keys(svc.networks).length > 0 ? svc.networks : { [DEFAULT_NETWORK]: null };
  return Object.entries(attached)
    .map(([net, cfg]) => {
      const target = objectName(ctx, 'networks', net);
      const external = own<{ external?: boolean }>(ctx.compose.networks, net)?.external === true;
      // Other services find this one by its short name on every network they share with it
      // (on external ones only if the caller allows: see ConvertOptions). Written aliases stay.
      const shortName = isUserDefined(target) && (!external || ctx.options.shortNamesOnExternalNetworks);
      const aliases = [...(cfg?.aliases ?? []), ...(shortName ? [key] : [])];
      return { Target: target, ...(aliases.length > 0 ? { Aliases: aliases } : {}) };
    })
    .sort((a, b) => compareText(a.Target, b.Target));
}

/**
 * Secret and config references by name, sorted (docker sorts them so that order changes do not
 * restart a service). The IDs are only known once they exist: the applier fills them in.
 */
function fileReferences(ctx: ConvertContext, kind: 'secrets' | 'configs', refs: ComposeFileReference[] = []) {
  const [idKey, nameKey] = kind === 'secrets' ? ['SecretID', 'SecretName'] : ['ConfigID', 'ConfigName'];
  return refs
    .map((ref) => ({ name: objectName(ctx, kind, ref.source), ref }))
    .sort((a, b) => compareText(a.name, b.name))
    .map(({ name, ref }) => ({
      File: { Name: ref.target ?? ref.source, UID: ref.uid ?? '0', GID: ref.gid ?? '0', Mode: ref.mode ?? 0o444 },
      [idKey]: '',
      [nameKey]: name,
    }));
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

function containerSpec(ctx: ConvertContext, key: string, svc: ComposeService) {
  const path = `services.${key}`;
  const caps = capabilities(svc.cap_add, svc.cap_drop);
  return dropUndefined({
    Image: svc.image,
    Labels: sortedRecord({ ...svc.labels, [STACK_NAMESPACE_LABEL]: ctx.stack }),
    Command: nonEmpty(words(ctx, svc.entrypoint, `${path}.entrypoint`)),
    Args: nonEmpty(words(ctx, svc.command, `${path}.command`)),
    Hostname: svc.hostname || undefined,
    Env: nonEmpty(containerEnv(ctx, key, svc)),
    Dir: svc.working_dir || undefined,
    User: svc.user || undefined,
    Init: svc.init,
    TTY: svc.tty || undefined,
    ReadOnly: svc.read_only || undefined,
    Mounts: nonEmpty((svc.volumes ?? []).map((m) => mount(ctx, m))),
    StopGracePeriod:
      svc.stop_grace_period === undefined ? undefined : nanos(ctx, svc.stop_grace_period, `${path}.stop_grace_period`),
    Healthcheck: healthcheck(ctx, svc.healthcheck, `${path}.healthcheck`),
    Secrets: nonEmpty(fileReferences(ctx, 'secrets', svc.secrets)),
    Configs: nonEmpty(fileReferences(ctx, 'configs', svc.configs)),
    CapabilityAdd: nonEmpty(caps.add),
    CapabilityDrop: nonEmpty(caps.drop),
  });
}

export function convertService(ctx: ConvertContext, key: string, svc: ComposeService): DesiredService {
  const name = `${ctx.stack}_${key}`;
  const path = `services.${key}.deploy`;
  if (!svc.image) ctx.errors.push({ path: `services.${key}.image`, message: 'is required' });
  const deploy = svc.deploy ?? {};
  // A written hash label would be stale the moment it is hashed; the real one is added below.
  const { [SPEC_HASH_LABEL]: _written, ...labels } = deploy.labels ?? {};
  const spec: ServiceSpec = {
    Name: name,
    Labels: sortedRecord({
      ...labels,
      [STACK_NAMESPACE_LABEL]: ctx.stack,
      [STACK_IMAGE_LABEL]: svc.image ?? '',
      [LABELS.managed]: 'true',
    }),
    TaskTemplate: dropUndefined({
      ContainerSpec: containerSpec(ctx, key, svc),
      Resources: resources(ctx, deploy, path),
      RestartPolicy: restartPolicy(ctx, deploy, path),
      Placement: placement(deploy),
      Networks: networks(ctx, key, svc),
    }),
    Mode: serviceMode(deploy),
    ...dropUndefined({
      UpdateConfig: updateConfig(ctx, deploy.update_config, `${path}.update_config`),
      RollbackConfig: updateConfig(ctx, deploy.rollback_config, `${path}.rollback_config`),
    }),
    EndpointSpec: endpointSpec(deploy, svc.ports),
  };
  // Hashed before the hash label exists, so the label never feeds its own value.
  const hash = sha256Hex(canonicalJson(spec));
  spec.Labels = sortedRecord({ ...spec.Labels, [SPEC_HASH_LABEL]: hash });
  return { name, key, spec, hash };
}
