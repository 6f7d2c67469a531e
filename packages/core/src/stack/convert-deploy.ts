import type { ComposeDeploy, ComposePort, UpdateConfig } from '../compose/types.js';
import { bytes, nanoCpus, nanos, type ConvertContext } from './convert-context.js';
import { dropUndefined } from './convert-container.js';

// `deploy:` and `ports:` to the scheduling half of a ServiceSpec (docker/cli
// convert/service.go convertDeployMode, convertResources, convertRestartPolicy,
// convertUpdateConfig, convertEndpointSpec). Unset fields stay out, as Go's omitempty leaves them.

export function serviceMode(deploy: ComposeDeploy): Record<string, unknown> {
  // docker leaves Replicas unset and the engine makes it 1; saying 1 keeps the spec explicit.
  return deploy.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: deploy.replicas ?? 1 } };
}

export function resources(ctx: ConvertContext, deploy: ComposeDeploy, path: string) {
  const one = (r: { cpus?: string; memory?: string } | undefined, at: string) => {
    if (r === undefined) return undefined;
    // 0 is "no limit", which the engine reports as an absent field.
    const out = dropUndefined({
      NanoCPUs: (r.cpus === undefined ? 0 : nanoCpus(ctx, r.cpus, `${at}.cpus`)) || undefined,
      MemoryBytes: (r.memory === undefined ? 0 : bytes(ctx, r.memory, `${at}.memory`)) || undefined,
    });
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const limits = one(deploy.resources?.limits, `${path}.resources.limits`);
  const reservations = one(deploy.resources?.reservations, `${path}.resources.reservations`);
  if (!limits && !reservations) return undefined;
  return dropUndefined({ Limits: limits, Reservations: reservations });
}

export function restartPolicy(ctx: ConvertContext, deploy: ComposeDeploy, path: string) {
  const r = deploy.restart_policy;
  if (r === undefined) return undefined;
  return dropUndefined({
    Condition: r.condition,
    Delay: r.delay === undefined ? undefined : nanos(ctx, r.delay, `${path}.restart_policy.delay`),
    MaxAttempts: r.max_attempts,
    Window: r.window === undefined ? undefined : nanos(ctx, r.window, `${path}.restart_policy.window`),
  });
}

export function placement(deploy: ComposeDeploy) {
  const p = deploy.placement;
  if (p === undefined) return undefined;
  const out = dropUndefined({
    Constraints: p.constraints?.length ? [...p.constraints] : undefined,
    Preferences: p.preferences?.length
      ? p.preferences.map((pref) => ({ Spread: { SpreadDescriptor: pref.spread } }))
      : undefined,
    MaxReplicas: p.max_replicas_per_node || undefined,
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Parallelism 1 unless set (docker's default); MaxFailureRatio and Order always present, as the
 * engine reports them back (Order 'stop-first' is the engine's default).
 */
export function updateConfig(ctx: ConvertContext, u: UpdateConfig | undefined, path: string) {
  if (u === undefined) return undefined;
  const delay = u.delay === undefined ? 0 : nanos(ctx, u.delay, `${path}.delay`);
  const monitor = u.monitor === undefined ? 0 : nanos(ctx, u.monitor, `${path}.monitor`);
  return dropUndefined({
    Parallelism: u.parallelism ?? 1,
    Delay: delay || undefined,
    FailureAction: u.failure_action,
    Monitor: monitor || undefined,
    MaxFailureRatio: u.max_failure_ratio ?? 0,
    Order: u.order ?? 'stop-first',
  });
}

interface PortConfig {
  Protocol: string;
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: string;
}

const compareText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** docker sorts ports with swarm.PortConfig.Compare: published, target, protocol, publish mode. */
function comparePorts(a: PortConfig, b: PortConfig): number {
  return (
    (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) ||
    a.TargetPort - b.TargetPort ||
    compareText(a.Protocol, b.Protocol) ||
    compareText(a.PublishMode, b.PublishMode)
  );
}

export function endpointSpec(deploy: ComposeDeploy, ports: ComposePort[] = []) {
  const configs = ports
    .map((p): PortConfig => ({
      Protocol: p.protocol ?? 'tcp',
      TargetPort: p.target,
      // 0 or unset: the engine picks a free port.
      ...(p.published ? { PublishedPort: p.published } : {}),
      PublishMode: p.mode ?? 'ingress',
    }))
    .sort(comparePorts);
  return { Mode: deploy.endpoint_mode ?? 'vip', ...(configs.length > 0 ? { Ports: configs } : {}) };
}
