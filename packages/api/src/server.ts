import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  backupContext,
  dockerClient,
  openApps,
  platformLayout,
  registryAccess,
  runRegistryGc,
  startDailyTimer,
  startUpstreamSync,
  Sensitive,
  type AppManager,
  type BackupContext,
} from '@minicloud/core';
import { buildApp } from './app.js';
import { dockerPorts } from './adapters.js';
import { coreBackups, startBackupScheduler } from './backup-adapter.js';

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
let apps: AppManager | undefined;
let appsProblem: string | undefined;
if (dataDir) {
  apps = await openApps(dataDir).catch((error: Error) => {
    appsProblem = error.message;
    return undefined;
  });
}

// Backups: the routes over core's backup engine, and its scheduler (every app daily unless its
// policy says otherwise; MINICLOUD_BACKUP_SCHEDULER=off leaves the schedule to someone else).
let backups: BackupContext | undefined;
let backupsProblem: string | undefined;
if (dataDir) {
  backups = await backupContext(dataDir).catch((error: Error) => {
    backupsProblem = error.message;
    return undefined;
  });
}

const app = await buildApp({
  adminToken,
  ...ports,
  ...(apps ? { apps } : {}),
  ...(backups ? { backups: coreBackups(backups) } : {}),
  ...(secretsDir ? { secretsDir } : {}),
  ...(process.env['MINICLOUD_PUBLIC_URL'] ? { publicUrl: process.env['MINICLOUD_PUBLIC_URL'] } : {}),
  trustProxy: true,
});
if (appsProblem) app.log.error({ dataDir }, `app lifecycle unavailable: ${appsProblem}`);
if (apps) {
  // The proxy keeps connections open to the apps' task addresses; when tasks move (updates,
  // restarts, rescheduling) its upstream blocks follow within a second or two.
  const manager = apps;
  const upstreamSync = startUpstreamSync(() => manager.syncUpstreams(), {
    onChange: () => app.log.info('proxy upstreams follow moved app tasks'),
    onError: (error) => app.log.warn({ reason: error.message }, `proxy upstream sync failed: ${error.message}`),
  });
  // A new task answered the platform's probe: route to it now, not a pass later.
  manager.onTasksReady(() => upstreamSync.wake());
  app.addHook('onClose', async () => upstreamSync.stop());
}
if (backupsProblem) app.log.error({ dataDir }, `backups unavailable, NO BACKUPS WILL RUN: ${backupsProblem}`);
if (backups && process.env['MINICLOUD_BACKUP_SCHEDULER'] !== 'off') {
  const scheduler = await startBackupScheduler(backups, app.log).catch((error: Error) => {
    app.log.error(
      { dataDir, reason: error.message },
      `backup scheduler not started, NO BACKUPS WILL RUN: ${error.message}`,
    );
    return undefined;
  });
  if (scheduler) app.addHook('onClose', async () => scheduler.stop());
}
// The registry clean-up, daily (MINICLOUD_REGISTRY_GC=off leaves it to `minicloud registry gc`):
// what `minicloud registry gc` does, with the platform's --keep setting.
if (dataDir && process.env['MINICLOUD_REGISTRY_GC'] !== 'off') {
  const gcDataDir = dataDir;
  const timer = startDailyTimer(async () => {
    try {
      const access = await registryAccess(gcDataDir);
      const result = await runRegistryGc(access, dockerClient(), { keep: access.settings.registryKeep });
      app.log.info(
        { deleted: result.plan.delete.length, freedBytes: result.plan.freedBytes, bytesAfter: result.after },
        'registry clean-up done',
      );
    } catch (error) {
      app.log.error({ reason: (error as Error).message }, `registry clean-up failed: ${(error as Error).message}`);
    }
  });
  app.addHook('onClose', async () => timer.stop());
}
const port = Number(process.env['PORT'] ?? 8080);
await app.listen({ host: '0.0.0.0', port });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
