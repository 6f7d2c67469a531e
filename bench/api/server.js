// The API server the benchmark drives: buildApp with a stand-in app lifecycle holding APPS
// apps (each with a service and its tasks, like the real status), on 127.0.0.1. Logs as in
// production (one line per request, at info), to this process's stdout.
import { buildApp } from '@minicloud/api';
import { MinicloudError, Sensitive } from '@minicloud/core';

const count = Number(process.env.APPS ?? 100);
const now = new Date().toISOString();

function status(i) {
  const name = `app-${String(i).padStart(3, '0')}`;
  const image = `registry.example.com:5443/team/${name}:1.${i}`;
  return {
    name,
    image,
    domains: [`${name}.example.com`],
    envKeys: ['LOG_LEVEL'],
    replicas: 2,
    needs: i % 2 ? ['database'] : [],
    manifest: {
      name,
      expose: [{ proto: 'http', port: 8080 }],
      needs: i % 2 ? ['database'] : [],
      env: {},
      runners: [],
      healthcheck: { http: '/health', interval: '30s' },
      resources: { memory: '128M' },
      storage: { path: '/data' },
    },
    createdAt: now,
    updatedAt: now,
    urls: [`https://${name}.example.com/`],
    health: 'healthy',
    services: [
      {
        name: `${name}_web`,
        id: `svc${i}`.padEnd(25, 'x'),
        desired: 2,
        running: 2,
        image,
        tasks: [0, 1].map((t) => ({
          id: `task${i}-${t}`.padEnd(25, 'x'),
          node: 'node1'.padEnd(25, 'x'),
          desiredState: 'running',
          state: 'running',
          image,
          updatedAt: now,
        })),
      },
    ],
  };
}

const apps = Array.from({ length: count }, (_, i) => status(i));
const notHere = () => Promise.reject(new MinicloudError('MC_UNAVAILABLE', 'read-only benchmark'));
const lifecycle = {
  list: async () => apps,
  show: async (name) => {
    const found = apps.find((a) => a.name === name);
    if (!found) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${name}`);
    return found;
  },
  add: notHere,
  update: notHere,
  remove: notHere,
  addDomain: notHere,
  removeDomain: notHere,
  attachNeed: notHere,
  detachNeed: notHere,
};

const app = await buildApp({ adminToken: new Sensitive(process.env.TOKEN ?? 'bench-token'), apps: lifecycle });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ address });
// The parent asks for this process's CPU time, to report CPU per request (robust on a busy machine).
process.on('message', (m) => m === 'cpu' && process.send?.({ cpu: process.cpuUsage() }));
process.on('disconnect', () => void app.close().then(() => process.exit(0)));
