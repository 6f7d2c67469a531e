import { split } from 'shlex';
import { isMinicloudError } from '../errors.js';
import { parseEnvFile } from '../compose/env-file.js';
import type { ComposeHealthcheck, ComposeService, ComposeVolumeMount } from '../compose/types.js';
import { createdLabels, nanos, objectName, own, type ConvertContext } from './convert-context.js';

// The parts of a ContainerSpec that need more than a copy (docker/cli convert/service.go,
// convert/volume.go): environment, command words, mounts, healthcheck, capabilities.

/** Where a bare `KEY` takes its value: the deploy's environment, if the caller gave one. */
function hostLookup(ctx: ConvertContext) {
  return (name: string): string | undefined => own(ctx.inputs.env, name);
}

/**
 * env_file entries first, in order, then `environment`, each overriding what came before; a
 * variable without a value, or with an empty one, takes the deploy environment's value when it
 * has one (docker/cli loader.go resolveEnvironment). Sorted `K=V`, or `K` with no value at all.
 */
export function containerEnv(ctx: ConvertContext, key: string, svc: ComposeService): string[] {
  const lookup = hostLookup(ctx);
  const env = new Map<string, string | null>();
  const set = (name: string, value: string | null) => {
    const host = lookup(name);
    env.set(name, (value === null || value === '') && host !== undefined ? host : value);
  };
  (svc.env_file ?? []).forEach((file, i) => {
    const text = own(ctx.inputs.envFiles, file);
    if (text === undefined) {
      ctx.errors.push({
        path: `services.${key}.env_file[${i}]`,
        message: `${file} was not read (see readStackInputs)`,
      });
      return;
    }
    try {
      for (const [name, value] of Object.entries(parseEnvFile(text, file, lookup))) set(name, value);
    } catch (err) {
      if (!isMinicloudError(err)) throw err;
      ctx.errors.push(...err.details);
    }
  });
  for (const [name, value] of Object.entries(svc.environment ?? {})) set(name, value);
  return [...env].map(([name, value]) => (value === null ? name : `${name}=${value}`)).sort();
}

/** A string command is split into words with shell quoting rules, like docker's shlex. */
export function words(ctx: ConvertContext, value: string | string[] | undefined, path: string): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return [...value];
  try {
    return split(value);
  } catch (err) {
    ctx.errors.push({ path, message: `cannot be split into words: ${(err as Error).message}` });
    return [];
  }
}

export function mount(ctx: ConvertContext, m: ComposeVolumeMount): Record<string, unknown> {
  const base = { Type: m.type, ...(m.source !== undefined ? { Source: m.source } : {}), Target: m.target };
  const readOnly = m.read_only ? { ReadOnly: true } : {};
  if (m.type === 'bind') {
    return {
      ...base,
      ...readOnly,
      ...(m.bind?.propagation ? { BindOptions: { Propagation: m.bind.propagation } } : {}),
    };
  }
  if (m.type === 'tmpfs') {
    return {
      ...base,
      ...readOnly,
      ...(m.tmpfs?.size !== undefined ? { TmpfsOptions: { SizeBytes: m.tmpfs.size } } : {}),
    };
  }
  const noCopy = m.volume?.nocopy ? { NoCopy: true } : {};
  if (m.source === undefined) {
    // An anonymous volume: created empty on the node, removed with the task's container.
    return { ...base, ...readOnly, ...(m.volume?.nocopy ? { VolumeOptions: noCopy } : {}) };
  }
  const def = own(ctx.compose.volumes, m.source) ?? {};
  const options: Record<string, unknown> = { ...noCopy };
  // The engine creates a named volume on first use, from these options: an external one
  // must exist already, so it gets none of them (docker/cli convert/volume.go).
  if (!def.external) {
    options['Labels'] = createdLabels(ctx, def.labels);
    if (def.driver !== undefined || def.driver_opts !== undefined) {
      options['DriverConfig'] = {
        ...(def.driver !== undefined ? { Name: def.driver } : {}),
        ...(def.driver_opts !== undefined ? { Options: def.driver_opts } : {}),
      };
    }
  }
  return { ...base, Source: objectName(ctx, 'volumes', m.source), ...readOnly, VolumeOptions: options };
}

export function healthcheck(
  ctx: ConvertContext,
  hc: ComposeHealthcheck | undefined,
  path: string,
): Record<string, unknown> | undefined {
  if (hc === undefined) return undefined;
  if (hc.disable) return { Test: ['NONE'] };
  const test = typeof hc.test === 'string' ? ['CMD-SHELL', hc.test] : hc.test;
  // 0 means "the image's value", which the engine reports as an absent field (Go's omitempty).
  const duration = (field: 'interval' | 'timeout' | 'start_period') =>
    (hc[field] === undefined ? 0 : nanos(ctx, hc[field], `${path}.${field}`)) || undefined;
  return dropUndefined({
    Test: test && test.length > 0 ? test : undefined,
    Interval: duration('interval'),
    Timeout: duration('timeout'),
    StartPeriod: duration('start_period'),
    Retries: hc.retries || undefined,
  });
}

function normalizeCapability(cap: string): string {
  const upper = cap.trim().toUpperCase();
  return upper === 'ALL' || upper === 'RESET' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** docker/cli opts/capabilities.go EffectiveCapAddCapDrop: CAP_ names, ALL wins, add beats drop. */
export function capabilities(add: string[] = [], drop: string[] = []): { add: string[]; drop: string[] } {
  let adds = new Set(add.map(normalizeCapability));
  let drops = new Set(drop.map(normalizeCapability));
  if (adds.has('ALL')) adds = new Set(['ALL']);
  if (drops.has('ALL')) drops = new Set(['ALL']);
  return {
    add: [...adds].filter((c) => c !== 'RESET').sort(),
    drop: [...drops].filter((c) => c !== 'RESET' && !adds.has(c)).sort(),
  };
}

/** An object without its undefined members, so specs carry only what was set (Go's omitempty). */
export function dropUndefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
