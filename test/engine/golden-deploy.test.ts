import t from 'tap';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { compileStack, loadManifest, setNodeLabels, stackStatus, storageNodeLabel } from '@minicloud/core';
import { goldenApps } from '../helpers/golden.js';
import {
  dockerCli,
  engineEnv,
  ensureOverlay,
  fetchFromNetwork,
  managerDocker,
  managerNodeId,
  waitFor,
} from '../helpers/engine.js';

// Issue 2's acceptance check: every golden app's compiled stack is accepted by the real
// `docker stack deploy` of the engine, unchanged, and all of its services come up.
const env = engineEnv();
const docker = managerDocker(env);
const work = mkdtempSync(join(tmpdir(), 'minicloud-golden-'));

t.before(async () => {
  await ensureOverlay(docker, 'minicloud-proxy');
  await ensureOverlay(docker, 'minicloud-services');
});

for (const app of goldenApps()) {
  t.test(`docker stack deploy accepts the compiled ${app.name} stack and its services come up`, async (t) => {
    const manifest = await loadManifest(app.dir);
    const httpPort = manifest.expose.find((e) => e.proto === 'http')?.port;
    const dataDir = join(work, app.name);
    const stack = compileStack(manifest, {
      ...app.settings,
      // The golden app's image reference is fictional; run the example app in its place,
      // from the test registry, listening on the manifest's port.
      image: `${env.registry}/hello:1`,
      endpointMode: env.endpointMode,
      dataDir,
      env: { ...((app.settings['env'] as Record<string, string>) ?? {}), PORT: String(httpPort ?? 80) },
    });
    const name = `golden-${stack.name}`;
    const node = await managerNodeId(docker);
    if (stack.credentialsFile) {
      mkdirSync(join(dataDir, 'secrets/apps'), { recursive: true });
      writeFileSync(
        stack.credentialsFile,
        'DATABASE_URL=mysql://u:p@mariadb:3306/db\nAMQP_URL=amqp://u:p@rabbitmq:5672/v\n',
        { mode: 0o600 },
      );
    }
    if (stack.storageDir) {
      mkdirSync(stack.storageDir, { recursive: true });
      await setNodeLabels(docker, node, { [storageNodeLabel(stack.name)]: 'true' });
    }
    const file = join(work, `${name}.yml`);
    writeFileSync(file, stack.yaml);
    t.teardown(async () => {
      await dockerCli(['stack', 'rm', name], env).catch(() => undefined);
      if (stack.storageDir) await setNodeLabels(docker, node, { [storageNodeLabel(stack.name)]: null });
    });

    await dockerCli(['stack', 'deploy', '-c', file, name], env);
    const services = await waitFor(
      `${name} to converge`,
      async () => {
        const status = await stackStatus(name, docker);
        const ready =
          status.length === Object.keys(stack.compose.services).length &&
          status.every((s) => s.desired > 0 && s.running === s.desired);
        if (ready) return status;
        // Thrown, so a timeout says what was still wrong.
        throw new Error(
          status
            .map((s) => `${s.name} ${s.running}/${s.desired} ${s.tasks[0]?.error ?? s.tasks[0]?.state ?? ''}`)
            .join('; '),
        );
      },
      120_000,
    );
    t.same(
      services.map((s) => s.name).sort(),
      Object.keys(stack.compose.services)
        .map((k) => `${name}_${k}`)
        .sort(),
      'every service of the file exists',
    );
    for (const s of services) t.equal(s.running, s.desired, `${s.name}: ${s.running}/${s.desired} running`);

    if (httpPort !== undefined) {
      const body = await waitFor('the web service to answer on the proxy network', () =>
        fetchFromNetwork('minicloud-proxy', `http://${name}_web:${httpPort}/`),
      );
      t.match(JSON.parse(body), { app: 'hello', version: '1' }, 'served on the proxy network by service name');
    }
  });
}
