import type { AppRecord, NeedName } from '@minicloud/core';

/** A stored app record with these needs, its default domain and the manifest's defaults filled in. */
export function appRecord(name: string, needs: NeedName[]): AppRecord {
  return {
    name,
    state: 'active',
    image: `registry.example.com/${name}:1`,
    domains: [`${name}.example.com`],
    envKeys: [],
    replicas: 1,
    needs,
    manifest: {
      name,
      expose: [{ proto: 'http', port: 80 }],
      needs,
      env: {},
      runners: [],
      resources: {},
      storage: { path: '/data' },
    },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}
