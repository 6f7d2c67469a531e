import { createHash } from 'node:crypto';
import { Sensitive } from '../sensitive.js';
import { DEFAULT_NETWORK } from '../compose/references.js';
import type { ComposeNetwork } from '../compose/types.js';
import { compareText, createdLabels, objectName, own, type ConvertContext } from './convert-context.js';
import { CONTENT_HASH_LABEL, type DesiredNetwork, type DesiredSecretOrConfig, type DesiredVolume } from './types.js';

// The stack's networks, volumes, secrets and configs (docker/cli convert/compose.go Networks,
// Secrets, Configs, and stack/deploy_composefile.go). External ones are only named: the
// applier checks they exist and never creates, changes or removes them.

/** docker creates a stack's networks with this driver when the file names none. */
export const DEFAULT_NETWORK_DRIVER = 'overlay';

const sortedKeys = (keys: Iterable<string>) => [...new Set(keys)].sort(compareText);

/** Only the networks some service joins are created, the implicit `default` included. */
export function desiredNetworks(ctx: ConvertContext): DesiredNetwork[] {
  const used = Object.values(ctx.compose.services).flatMap((svc) =>
    svc.networks && Object.keys(svc.networks).length > 0 ? Object.keys(svc.networks) : [DEFAULT_NETWORK],
  );
  return sortedKeys(used).map((key) => {
    const def: ComposeNetwork = own(ctx.compose.networks, key) ?? {};
    const name = objectName(ctx, 'networks', key);
    if (def.external) return { name, key, external: true };
    const ipam = def.ipam?.driver !== undefined || (def.ipam?.config ?? []).length > 0 ? def.ipam : undefined;
    const create = {
      Name: name,
      Driver: def.driver ?? DEFAULT_NETWORK_DRIVER,
      ...(def.attachable ? { Attachable: true } : {}),
      ...(def.internal ? { Internal: true } : {}),
      Labels: createdLabels(ctx, def.labels),
      ...(def.driver_opts !== undefined ? { Options: { ...def.driver_opts } } : {}),
      ...(ipam
        ? {
            IPAM: {
              ...(ipam.driver !== undefined ? { Driver: ipam.driver } : {}),
              Config: (ipam.config ?? []).map((c) => ({ Subnet: c.subnet })),
            },
          }
        : {}),
    };
    return { name, key, external: false, create };
  });
}

/**
 * Named volumes some service mounts. The engine creates them on each node from the mount's
 * VolumeOptions, as docker relies on; `create` says the same for an applier that wants to
 * create them up front.
 */
export function desiredVolumes(ctx: ConvertContext): DesiredVolume[] {
  const used = Object.values(ctx.compose.services).flatMap((svc) =>
    (svc.volumes ?? []).flatMap((m) => (m.type === 'volume' && m.source !== undefined ? [m.source] : [])),
  );
  return sortedKeys(used).map((key) => {
    const def = own(ctx.compose.volumes, key) ?? {};
    const name = objectName(ctx, 'volumes', key);
    if (def.external) return { name, key, external: true };
    const create = {
      Name: name,
      Driver: def.driver ?? 'local',
      ...(def.driver_opts !== undefined ? { DriverOpts: { ...def.driver_opts } } : {}),
      Labels: createdLabels(ctx, def.labels),
    };
    return { name, key, external: false, create };
  });
}

/** Every secret or config the file defines, used or not, as docker creates them all. */
export function desiredFileObjects(ctx: ConvertContext, kind: 'secret' | 'config'): DesiredSecretOrConfig[] {
  const section = kind === 'secret' ? 'secrets' : 'configs';
  const defs = ctx.compose[section] ?? {};
  return sortedKeys(Object.keys(defs)).map((key) => {
    const def = own(defs, key) ?? {};
    const name = objectName(ctx, section, key);
    if (def.external) return { kind, name, key, external: true, labels: {} };
    const data = def.file === undefined ? undefined : own(ctx.inputs.files, def.file);
    if (data === undefined) {
      ctx.errors.push({
        path: `${section}.${key}.file`,
        message: `${def.file ?? '(none)'} was not read (see readStackInputs)`,
      });
    }
    const content = data ?? Buffer.alloc(0);
    const hash = createHash('sha256').update(content).digest('hex');
    return {
      kind,
      name,
      key,
      external: false,
      labels: createdLabels(ctx, { ...def.labels, [CONTENT_HASH_LABEL]: hash }),
      data: new Sensitive(content),
    };
  });
}
