import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import {
  AppStore,
  backupContext,
  finishInterruptedRestores,
  ConfigApply,
  dockerClient,
  EventLog,
  loadPlatformSettings,
  startAlertWatch,
  startDiskSpaceWatch,
  readDiskSpace,
  startStatsSampler,
  StatsHistory,
  openPlatformAcme,
  openApps,
  platformLayout,
  readProxyPeerAddresses,
  registryAccess,
  retryUntilDone,
  runRegistryGc,
  startDailyTimer,
  startUpstreamSync,
  Sensitive,
  type AppManager,
  type BackupContext,
  type PlatformAcme,
} from '@minicloud/core';
import { buildApp } from './app.js';
import { openEvents } from './events.js';
import { TokenStore } from './tokens.js';
import { JobRunner } from './jobs.js';
import { dockerPorts, nodeEngines } from './adapters.js';
import { coreBackups, startBackupScheduler } from './backup-adapter.js';
import { TrustedProxy } from './trusted-proxy.js';
import type { DiskSpacePort } from './ports.js';

// The API service's entry point in the management stack: the admin token comes from a file
// (a swarm secret or the installer's 0600 file), never from an environment variable.
const tokenFile = process.env['MINICLOUD_ADMIN_TOKEN_FILE'] ?? '/run/secrets/minicloud-admin-token';
const adminToken = new Sensitive(readFileSync(tokenFile, 'utf8').trim());

// The platform: the Docker Engine (the socket is mounted) and, when set, the data dir.
const dataDir = process.env['MINICLOUD_DATA_DIR'] || undefined;
const docker = dockerClient();
// Each node's engine (exec, container stats), through the node agents.
const engines = nodeEngines(docker, dataDir);
// The apps' last hour, one sample a minute, for the charts of the admin pages.
const statsHistory = new StatsHistory();
const ports = dockerPorts({ docker, engines, statsHistory, ...(dataDir ? { dataDir } : {}) });
// X-Forwarded-* count only from the proxy's own tasks (the Engine says which addresses they
// have), never from an app on the shared proxy network. Read before the first request is
// served: until then no peer is trusted, and every client would look like the proxy itself
// (one address for the log-in rate limit).
const logTo: { log?: FastifyBaseLogger } = {};
const trustedProxy = new TrustedProxy({
  read: () => readProxyPeerAddresses(docker),
  onChange: (addresses) => logTo.log?.info({ addresses }, 'trusted proxy addresses'),
  onError: (error) => logTo.log?.warn({ reason: error.message }, `proxy addresses not read: ${error.message}`),
});
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
  // A shared service no app needs any more keeps running this long (default 10 minutes): an
  // app removed and added again does not wait for MariaDB to start again.
  const lingerSeconds = Number(process.env['MINICLOUD_SERVICES_LINGER_SECONDS'] ?? 600);
  apps = await openApps(dataDir, { servicesLingerMs: Math.max(0, lingerSeconds) * 1000 }).catch((error: Error) => {
    appsProblem = error.message;
    return undefined;
  });
}
// Records written before env values moved to the secrets dir hold them in the configuration
// directory: they move now, before any request (and on first use, should one be refused here).
const envMoves = apps ? await apps.upgradeStoredEnv() : [];
// `minicloud apply` and `diff`: the app lifecycle driven by the configuration directory.
const configApply =
  apps && dataDir
    ? new ConfigApply(
        apps,
        new AppStore(platformLayout(dataDir).appsDir, platformLayout(dataDir).appSecretsDir),
        docker,
      )
    : undefined;

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

// Deploy tokens and webhooks of apps that no longer exist (left by a remove that failed before
// removes revoked them first) would open the next app of that name: they go at start-up.
const tokens = await TokenStore.open(secretsDir);
let orphanTokens: string[] = [];
let orphanProblem: string | undefined;
if (apps) {
  const names = await apps.list().then(
    (list) => list.map((a) => a.name),
    (error: Error) => {
      orphanProblem = error.message;
      return undefined;
    },
  );
  if (names) orphanTokens = await tokens.forgetAppsExcept(names);
}

// The event log (state/events.jsonl) and the notification webhook (in the API's secrets dir).
const publicUrl = process.env['MINICLOUD_PUBLIC_URL'];
const notifyErrors: { log?: FastifyBaseLogger } = {};
const events = dataDir
  ? await openEvents({
      log: await EventLog.open(platformLayout(dataDir).eventsFile),
      ...(secretsDir ? { notifyFile: join(secretsDir, 'notify.json') } : {}),
      platform: publicUrl ? new URL(publicUrl).host.replace(/^admin\./, '') : 'minicloud',
      onNotifyError: (error) => notifyErrors.log?.warn({ reason: error.message }, error.message),
    })
  : undefined;
// The jobs (state/jobs.jsonl): those this API's previous process left queued or running are
// reported interrupted (in the list and as events), finished ones are answered as before.
const jobsLog: { log?: FastifyBaseLogger } = {};
const jobs = dataDir
  ? await JobRunner.open(platformLayout(dataDir).jobsFile, {
      onStoreError: (error) => jobsLog.log?.warn({ reason: error.message }, `jobs file not written: ${error.message}`),
    })
  : undefined;
// Certificates from an ACME server (Let's Encrypt), when the platform's settings turn it on:
// the API answers the CA's challenges (the proxy sends it /.well-known/acme-challenge/ of
// every host on port 80) and orders, renews and installs in the background.
let acme: PlatformAcme | undefined;
let acmeProblem: string | undefined;
if (dataDir && apps) {
  const log = {
    info: (fields: object, message: string) => logTo.log?.info(fields, message),
    warn: (fields: object, message: string) => logTo.log?.warn(fields, message),
  };
  acme = await openPlatformAcme(dataDir, apps, { log }).catch((error: Error) => {
    acmeProblem = error.message;
    return undefined;
  });
}

// Push to deploy: the registry's notifications carry this token (written by platform init).
const registryHook = dataDir
  ? await Promise.all([
      readFile(platformLayout(dataDir).secret['registry-notify-token'], 'utf8'),
      loadPlatformSettings(dataDir),
    ]).then(
      ([token, settings]) => ({ token: new Sensitive(token.trim()), registryAddr: settings.registryAddr }),
      () => undefined,
    )
  : undefined;

// How full the data dir's filesystems are (the data dir, backups, registry, storage).
const diskSpace: DiskSpacePort | undefined = dataDir ? { read: () => readDiskSpace(dataDir) } : undefined;

const app = await buildApp({
  adminToken,
  tokens,
  ...(jobs ? { jobs } : {}),
  ...(events ? { events } : {}),
  ...(registryHook ? { registryHook } : {}),
  ...ports,
  ...(apps ? { apps } : {}),
  ...(configApply ? { configApply } : {}),
  ...(backups ? { backups: coreBackups(backups) } : {}),
  ...(diskSpace ? { diskSpace } : {}),
  ...(secretsDir ? { secretsDir } : {}),
  ...(publicUrl ? { publicUrl } : {}),
  trustProxy: trustedProxy.trust,
  ...(acme ? { acmeChallenges: acme.challenges } : {}),
});
logTo.log = app.log;
notifyErrors.log = app.log;
jobsLog.log = app.log;
if (dataDir && !registryHook)
  app.log.warn('push to deploy is off: no registry notify token (re-run install.sh to make one)');
if (events && dataDir) {
  // Crash loops, nodes down, certificates near their end: recorded (and notified) when they
  // begin and when they end. MINICLOUD_ALERT_EVERY_MS shortens the look for tests.
  const manager = apps;
  const watch = startAlertWatch({
    docker,
    ...(manager
      ? {
          certificates: async () => {
            const out = [];
            for (const a of await manager.list())
              for (const c of await manager.certificateStatus(a.domains)) out.push({ app: a.name, ...c });
            return out;
          },
        }
      : {}),
    emit: async (event) => {
      await events.record(event);
    },
    onError: (error) => app.log.warn({ reason: error.message }, `alert check failed: ${error.message}`),
    everyMs: Number(process.env['MINICLOUD_ALERT_EVERY_MS'] ?? 30_000),
  });
  app.addHook('onClose', async () => watch.stop());
}
if (events && diskSpace) {
  // A filesystem turning low or critical (and back) is recorded and notified once per change,
  // before it is full. MINICLOUD_DISK_EVERY_MS shortens the look for tests.
  const diskWatch = startDiskSpaceWatch({
    read: () => diskSpace.read(),
    emit: async (event) => {
      await events.record(event);
    },
    onError: (error) => app.log.warn({ reason: error.message }, `disk space check failed: ${error.message}`),
    everyMs: Number(process.env['MINICLOUD_DISK_EVERY_MS'] ?? 60_000),
  });
  // The first look now: a disk already low when the API starts is reported without a minute's wait.
  diskWatch.check().catch((error: Error) => app.log.warn({ reason: error.message }, 'disk space check failed'));
  app.addHook('onClose', async () => diskWatch.stop());
}
// The apps' CPU and memory each minute (MINICLOUD_STATS_EVERY_MS shortens it for tests).
const statsSampler = startStatsSampler({
  docker,
  engines,
  history: statsHistory,
  everyMs: Number(process.env['MINICLOUD_STATS_EVERY_MS'] ?? 60_000),
  onError: (error, name) =>
    app.log.warn({ reason: error.message, ...(name ? { app: name } : {}) }, `stats sample failed: ${error.message}`),
});
app.addHook('onClose', async () => statsSampler.stop());
await trustedProxy.start();
app.addHook('onClose', async () => trustedProxy.stop());
if (appsProblem) app.log.error({ dataDir }, `app lifecycle unavailable: ${appsProblem}`);
if (acmeProblem) app.log.error({ dataDir }, `ACME certificates unavailable, the platform CA's serve: ${acmeProblem}`);
for (const { app: name, error } of envMoves) {
  if (error) app.log.error({ app: name, reason: error.message }, `env values of ${name} not moved: ${error.message}`);
  else app.log.info({ app: name }, `env values of ${name} moved from the configuration directory to its secrets`);
}
if (orphanTokens.length > 0)
  app.log.warn({ apps: orphanTokens }, 'revoked the deploy tokens and webhooks of apps that no longer exist');
if (orphanProblem) app.log.warn({ reason: orphanProblem }, `tokens of removed apps not checked: ${orphanProblem}`);
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
  // Grants of earlier versions reached other apps' databases (`my_shop` also matched
  // `myxshop`): narrowed in place at every start. MariaDB may not be up yet (the whole
  // platform starting at once): the API starts anyway and the repair is tried again.
  const grantRepair = retryUntilDone(() => manager.repairDatabaseGrants(), {
    onDone: (repaired) => {
      for (const { user, database, alsoMatched } of repaired) {
        const others =
          alsoMatched.length > 0 ? `, check these databases it could reach: ${alsoMatched.join(', ')}` : '';
        app.log.warn(`database grant repaired: ${user} had rights beyond ${database}, now only there${others}`);
      }
    },
    onError: (error) =>
      app.log.warn({ reason: error.message }, `database grant check failed, tried again in 30 s: ${error.message}`),
  });
  app.addHook('onClose', async () => grantRepair.stop());
  // A change the API died in is put right at start, so no app stays half made: an add still
  // marked is rolled back as a failed add is (no database, user, vhost, stack or route left),
  // an update still marked is rolled back to the app's record, and a removal is finished. Their
  // jobs are listed as interrupted. A shared service not up yet: tried again.
  const addRollBack = retryUntilDone(
    async () => ({
      adds: await manager.rollBackInterruptedAdds((line) => app.log.info(line)),
      updates: await manager.rollBackInterruptedUpdates((line) => app.log.info(line)),
      removals: await manager.finishInterruptedRemovals((line) => app.log.info(line)),
    }),
    {
      onDone: ({ adds, updates, removals }) => {
        for (const name of adds) app.log.warn({ app: name }, `the interrupted add of ${name} was rolled back`);
        for (const name of updates) app.log.warn({ app: name }, `the interrupted update of ${name} was rolled back`);
        for (const name of removals) app.log.warn({ app: name }, `the interrupted removal of ${name} was finished`);
      },
      onError: (error) =>
        app.log.warn(
          { reason: error.message },
          `putting right a change the API died in failed, tried again in 30 s: ${error.message}`,
        ),
    },
  );
  app.addHook('onClose', async () => addRollBack.stop());
  // Apps deployed by earlier versions answer to bare names (`web`) on the shared networks:
  // redeployed once, in the background (a rolling update each), so the API serves at once.
  void manager.dropSharedNetworkAliases().then(
    (done) => {
      for (const { app: name, error } of done) {
        if (error) app.log.error({ app: name, reason: error.message }, `redeploy of ${name} failed: ${error.message}`);
        else app.log.info({ app: name }, `${name} redeployed: it answers on the shared networks to its full name only`);
      }
    },
    (error: Error) => app.log.warn({ reason: error.message }, `shared network names not checked: ${error.message}`),
  );
}
if (acme && apps) {
  // Started once the API listens (below): the CA's fetch of a challenge must find it answering.
  const { renewer } = acme;
  apps.onRouted(() => renewer.wake());
  app.addHook('onClose', async () => renewer.stop());
  app.log.info({ directory: acme.directoryUrl }, `certificates from the ACME server at ${acme.directoryUrl}`);
}
if (backupsProblem) app.log.error({ dataDir }, `backups unavailable, NO BACKUPS WILL RUN: ${backupsProblem}`);
if (backups) {
  // A restore the API died in left its target half restored: run again whole (it is
  // idempotent), tried again while a shared service is not up yet.
  const restoring = backups;
  const restores = retryUntilDone(() => finishInterruptedRestores(restoring, (line) => app.log.info(line)), {
    onDone: (done) => {
      for (const { app: from, id, into, gone } of done) {
        if (gone)
          app.log.error(
            { app: into, backup: `${from}/${id}` },
            `the interrupted restore of ${from}/${id} into ${into} cannot be finished: the backup or the app is gone`,
          );
        else app.log.warn({ app: into, backup: `${from}/${id}` }, `the interrupted restore into ${into} was finished`);
      }
    },
    onError: (error) =>
      app.log.warn(
        { reason: error.message },
        `finishing an interrupted restore failed, tried again in 30 s: ${error.message}`,
      ),
  });
  app.addHook('onClose', async () => restores.stop());
}
if (backups && process.env['MINICLOUD_BACKUP_SCHEDULER'] !== 'off') {
  const scheduler = await startBackupScheduler(backups, app.log, events ? { events } : {}).catch((error: Error) => {
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
acme?.renewer.start();

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
