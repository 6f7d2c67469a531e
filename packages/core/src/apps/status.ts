import type { ServiceStatus } from '../stack/status.js';
import type { AppHealth, AppRecord, AppStatus } from './types.js';

/**
 * An app's health from its services: healthy when every service runs all its replicas,
 * starting while an update rolls, degraded when some run, down when none do.
 */
export function appHealth(services: readonly ServiceStatus[]): AppHealth {
  if (services.length === 0) return 'down';
  if (services.some((s) => s.updateState === 'updating' || s.updateState === 'rollback_started')) return 'starting';
  if (services.every((s) => s.running >= s.desired)) return 'healthy';
  return services.some((s) => s.running > 0) ? 'degraded' : 'down';
}

export function appStatus(record: AppRecord, services: ServiceStatus[], httpRouted: boolean): AppStatus {
  return {
    ...record,
    // An app being removed is no longer routed: no URL of it answers.
    urls: httpRouted && record.state !== 'removing' ? record.domains.map((d) => `https://${d}/`) : [],
    health: appHealth(services),
    services,
  };
}
