import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerClient, openApps, platformLayout, Sensitive, type Apps } from '@minicloud/core';
import { buildApp } from './app.js';
import { dockerPorts } from './adapters.js';

// The API service's entry point in the management stack: the admin token comes from a file
// (a swarm secret or the installer's 0600 file), never from an environment variable.
const tokenFile = process.env['MINICLOUD_ADMIN_TOKEN_FILE'] ?? '/run/secrets/minicloud-admin-token';
const adminToken = new Sensitive(readFileSync(tokenFile, 'utf8').trim());

// The platform: the Docker Engine (the socket is mounted) and, when set, the data dir.
const dataDir = process.env['MINICLOUD_DATA_DIR'] || undefined;
const ports = dockerPorts({ docker: dockerClient(), ...(dataDir ? { dataDir } : {}) });
// Deploy-token and webhook hashes: a 0600 file in <secrets dir>/api, a directory of its own so
// the service can mount it read-write without seeing the platform's other secrets.
const secretsDir =
  process.env['MINICLOUD_API_SECRETS_DIR'] || (dataDir ? join(platformLayout(dataDir).secretsDir, 'api') : undefined);
// The app lifecycle: core's AppManager over the platform in the data dir (its settings, the
// passwords it provisions with, the CA). If that cannot be opened, the app routes answer 503
// MC_UNAVAILABLE with the reason in the log, and the rest of the API still works.
let apps: Apps | undefined;
let appsProblem: string | undefined;
if (dataDir) {
  apps = await openApps(dataDir).catch((error: Error) => {
    appsProblem = error.message;
    return undefined;
  });
}

const app = await buildApp({
  adminToken,
  ...ports,
  ...(apps ? { apps } : {}),
  ...(secretsDir ? { secretsDir } : {}),
  ...(process.env['MINICLOUD_PUBLIC_URL'] ? { publicUrl: process.env['MINICLOUD_PUBLIC_URL'] } : {}),
  trustProxy: true,
});
if (appsProblem) app.log.error({ dataDir }, `app lifecycle unavailable: ${appsProblem}`);
const port = Number(process.env['PORT'] ?? 8080);
await app.listen({ host: '0.0.0.0', port });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
