import type Docker from 'dockerode';
import { DEFAULTS } from '../compiler/settings.js';
import { LABELS } from '../labels.js';

// Versions before issue 11 deployed app services with their short names (`web`, a runner's
// name) as aliases on the shared networks too, so on minicloud-services every app answered to
// `web`. Deploys no longer do; this finds the apps still running such services, so that the
// API can redeploy them once (start-first, as any update) after an upgrade.

interface ServiceRow {
  Spec?: {
    Labels?: Record<string, string>;
    TaskTemplate?: { Networks?: { Target?: string; Aliases?: string[] }[] };
  };
}

/** Pure: the apps (by their minicloud.app label) with an alias on one of the given networks. */
export function appsWithSharedAliases(
  services: readonly ServiceRow[],
  sharedNetworkIds: ReadonlySet<string>,
): string[] {
  const apps = new Set<string>();
  for (const s of services) {
    const app = s.Spec?.Labels?.[LABELS.app];
    if (!app) continue;
    const networks = s.Spec?.TaskTemplate?.Networks ?? [];
    if (networks.some((n) => sharedNetworkIds.has(n.Target ?? '') && (n.Aliases?.length ?? 0) > 0)) apps.add(app);
  }
  return [...apps].sort();
}

/** The apps whose running services still answer to short names on the platform's shared networks. */
export async function findAppsWithSharedAliases(docker: Docker): Promise<string[]> {
  const shared: string[] = [DEFAULTS.proxyNetwork, DEFAULTS.servicesNetwork];
  const [networks, services] = await Promise.all([
    docker.listNetworks({ filters: { name: shared } }),
    docker.listServices({ filters: { label: [`${LABELS.managed}=true`] } }),
  ]);
  const ids = new Set(networks.filter((n) => shared.includes(n.Name)).map((n) => n.Id));
  return appsWithSharedAliases(services as ServiceRow[], ids);
}
