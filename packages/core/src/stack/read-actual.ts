import type Docker from 'dockerode';
import type { ActualObject } from './plan.js';
import { STACK_NAMESPACE_LABEL, type DesiredStack } from './types.js';

type Labelled = { Labels?: Record<string, string> | null };

/**
 * The engine stores a service's networks by ID; the desired spec names them. Translate back
 * so that comparing the two shows real changes only.
 */
function withNetworkNames(spec: Record<string, unknown>, names: Map<string, string>): Record<string, unknown> {
  const template = (spec['TaskTemplate'] ?? {}) as { Networks?: { Target?: string }[] };
  if (!template.Networks) return spec;
  const networks = template.Networks.map((n) => ({ ...n, Target: names.get(n.Target ?? '') ?? n.Target }));
  return { ...spec, TaskTemplate: { ...template, Networks: networks } };
}

/**
 * What the engine has that bears on this stack: the stack's own services (by namespace label,
 * for prune) and every object whose name the desired stack uses (to spot clashes).
 */
export async function readActual(docker: Docker, desired: DesiredStack): Promise<ActualObject[]> {
  const names = new Set([
    ...desired.services.map((s) => s.name),
    ...desired.networks.map((n) => n.name),
    ...desired.volumes.map((v) => v.name),
    ...desired.secrets.map((s) => s.name),
    ...desired.configs.map((c) => c.name),
  ]);
  const [services, networks, volumes, secrets, configs] = await Promise.all([
    docker.listServices(),
    docker.listNetworks(),
    desired.volumes.length > 0 ? docker.listVolumes().then((r) => r.Volumes ?? []) : Promise.resolve([]),
    desired.secrets.length > 0 ? docker.listSecrets() : Promise.resolve([]),
    desired.configs.length > 0 ? docker.listConfigs() : Promise.resolve([]),
  ]);
  const labels = (o: Labelled | undefined) => o?.Labels ?? {};
  const networkNames = new Map(networks.map((n) => [n.Id, n.Name]));
  const out: ActualObject[] = [];
  for (const s of services) {
    const name = s.Spec?.Name ?? '';
    const spec = withNetworkNames((s.Spec ?? {}) as unknown as Record<string, unknown>, networkNames);
    if (names.has(name) || labels(s.Spec)[STACK_NAMESPACE_LABEL] === desired.name) {
      out.push({ kind: 'service', id: s.ID, name, labels: labels(s.Spec), spec, version: s.Version?.Index ?? 0 });
    }
  }
  for (const n of networks) {
    if (names.has(n.Name)) out.push({ kind: 'network', id: n.Id, name: n.Name, labels: labels(n) });
  }
  for (const v of volumes) {
    if (names.has(v.Name)) out.push({ kind: 'volume', id: v.Name, name: v.Name, labels: labels(v as Labelled) });
  }
  for (const [kind, list] of [
    ['secret', secrets],
    ['config', configs],
  ] as const) {
    for (const o of list as { ID: string; Spec?: { Name?: string } & Labelled }[]) {
      const name = o.Spec?.Name ?? '';
      if (names.has(name)) out.push({ kind, id: o.ID, name, labels: labels(o.Spec) });
    }
  }
  return out;
}
