import { readFileSync } from 'node:fs';
import { Sensitive } from '@minicloud/core';
import { buildApp } from './app.js';

// The API service's entry point in the management stack: the admin token comes from a file
// (a swarm secret or the installer's 0600 file), never from an environment variable.
const tokenFile = process.env['MINICLOUD_ADMIN_TOKEN_FILE'] ?? '/run/secrets/minicloud-admin-token';
const adminToken = new Sensitive(readFileSync(tokenFile, 'utf8').trim());
const app = await buildApp({ adminToken });
const port = Number(process.env['PORT'] ?? 8080);
await app.listen({ host: '0.0.0.0', port });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
