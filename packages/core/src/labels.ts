// Labels on every object minicloud creates. The platform only updates or removes what carries
// MANAGED, and the proxy reads an app's routing (domains, port) back from its web service.
export const LABELS = {
  managed: 'minicloud.managed',
  app: 'minicloud.app',
  role: 'minicloud.role',
  needs: 'minicloud.needs',
  domains: 'minicloud.domains',
  httpPort: 'minicloud.http.port',
  tcpPorts: 'minicloud.tcp.ports',
  image: 'minicloud.image',
} as const;

/** Node label that marks the node holding an app's storage directory. */
export function storageNodeLabel(app: string): string {
  return `minicloud.storage.${app}`;
}
