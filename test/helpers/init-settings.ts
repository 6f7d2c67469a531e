import { platformSettings, type PlatformSettings } from '@minicloud/core';

/** Settings of a test platform in `dataDir`, for platform init on a temporary dir. */
export function initSettings(dataDir: string): PlatformSettings {
  return platformSettings({
    dataDir,
    domain: 'example.com',
    registryAddr: '10.0.0.5:5443',
    endpointMode: 'dnsrr',
    imagesMode: 'debian',
    images: {
      proxy: 'minicloud/nginx:bookworm-abc',
      registry: 'minicloud/registry:2-abc',
      mariadb: 'minicloud/mariadb:bookworm-abc',
      rabbitmq: 'minicloud/rabbitmq:bookworm-abc',
      api: 'minicloud/api:0.1.0-abc',
    },
  });
}
