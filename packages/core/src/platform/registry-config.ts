import yaml from 'js-yaml';
import type { Sensitive } from '../sensitive.js';

// The private registry's config file. Most settings come from the stack's environment
// (REGISTRY_HTTP_*, REGISTRY_AUTH_*), but a notification endpoint is a list, which the
// registry reads only from its file; and the endpoint's header holds the token the API checks,
// so the file is a swarm secret, never part of the stack in the configuration directory.

/** Where the registry sends its events: the API on the proxy network (not through nginx). */
export const REGISTRY_NOTIFY_URL = 'http://minicloud_api:8080/v1/registry/events';

export function registryConfigYaml(token: Sensitive<string>): string {
  const config = {
    version: 0.1,
    log: { level: 'warn' },
    storage: { filesystem: { rootdirectory: '/var/lib/registry' }, delete: { enabled: true } },
    http: { addr: '0.0.0.0:5443' },
    notifications: {
      endpoints: [
        {
          name: 'minicloud',
          url: REGISTRY_NOTIFY_URL,
          headers: { Authorization: [`Bearer ${token.reveal()}`] },
          timeout: '3s',
          // After 5 failures in a row (the API restarting), wait 10 s before trying again.
          threshold: 5,
          backoff: '10s',
        },
      ],
    },
  };
  return `# Written by minicloud platform init. Holds a token: keep it 0600.\n${yaml.dump(config)}`;
}
