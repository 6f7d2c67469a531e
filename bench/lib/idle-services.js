// Idle services for the engine benchmarks: `sleep infinity` from a local image on the manager
// (the test worker has none of its own), so no pull and no work of their own is measured.

/** Compose services s0..s{n-1}; `extra` is merged into each (networks, for example). */
export function idleServices(n, extra = {}) {
  const services = {};
  for (let i = 0; i < n; i++) {
    services[`s${i}`] = {
      image: 'minicloud/debian:bookworm',
      command: ['sleep', 'infinity'],
      environment: { INDEX: String(i) },
      labels: { 'minicloud.managed': 'true' },
      deploy: {
        replicas: 1,
        endpoint_mode: process.env.MINICLOUD_ENDPOINT_MODE ?? 'dnsrr',
        labels: { 'minicloud.managed': 'true' },
        placement: { constraints: ['node.role == manager'] },
        resources: { limits: { memory: '16M' } },
      },
      ...extra,
    };
  }
  return services;
}
