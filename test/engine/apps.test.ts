import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { issueCertificate, readUpstreamAddresses, Sensitive } from '@minicloud/core';
import { credentials, DB_PROBE, MQ_PROBE, probe, served, traces } from '../helpers/apps.js';
import { opensslCert } from '../helpers/certs.js';
import { engineEnv, execIn, managerDocker, serviceContainer, stopTestEngine, waitFor } from '../helpers/engine.js';
import { resolveIn, serviceAddresses, serviceAliases } from '../helpers/names.js';
import { api, buildAndPush, CLI, DATA, DOMAIN, httpsTo, INSTALL, REGISTRY, REPO, sh } from '../helpers/platform.js';

// Issue 5 end to end: apps added from images in the platform's registry, through the admin
// API over HTTPS, get their own database, vhost and storage, are served by their domains,
// roll back a failing update, come back after the engine restarts, and are removed and purged
// without a trace. Refused adds leave nothing behind.
const env = engineEnv();
const docker = managerDocker(env);
const NOTES = `${REGISTRY}/mc-e2e/notes:1`;

interface Problem {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  await buildAndPush(
    'notes:1',
    'name: notes\nexpose: [{proto: http, port: 80}]\nneeds: [database, messagebus, storage]\nhealthcheck: {http: /health, interval: 3s, retries: 2, start_period: 3s}\n',
  );
  // A run cut short (stopped between a remove and its purge) leaves these apps' data: taken
  // over and purged first, as an operator would, so the adds below start from nothing.
  for (const name of ['notes-a', 'notes-b']) {
    await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
    if ((await traces(name)).length === 0) continue;
    await api('POST', '/v1/apps?wait=true', { image: NOTES, name, purgeOld: true });
    await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
  }
});

t.test('two apps from one image: each gets its own database, vhost and storage, served by its domain', async (t) => {
  for (const name of ['notes-a', 'notes-b']) {
    const res = await api('POST', '/v1/apps?wait=true', { image: NOTES, name });
    t.equal(res.status, 201, `add ${name}: ${JSON.stringify(res.json).slice(0, 500)}`);
    t.match(res.json, {
      name,
      health: 'healthy',
      needs: ['database', 'messagebus', 'storage'],
      urls: [`https://${name}.${DOMAIN}/`],
    });
  }
  for (const name of ['notes-a', 'notes-b'])
    t.match(await served(`${name}.${DOMAIN}`), { app: 'hello' }, `${name} over HTTPS by its domain`);
  const http = await sh('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{redirect_url}',
    '-H',
    `Host: notes-a.${DOMAIN}`,
    `http://${env.swarmAddr}/x`,
  ]);
  t.equal(http.stdout, `301 https://notes-a.${DOMAIN}/x`, 'HTTP redirects to HTTPS');

  const a = credentials('notes-a');
  const b = credentials('notes-b');
  t.match(a['DATABASE_URL'], /^mysql:\/\/notes_a:[^@]+@mariadb:3306\/notes_a$/);
  t.match(a['AMQP_URL'], /^amqp:\/\/notes_a:[^@]+@rabbitmq:5672\/notes_a$/);
  const container = await serviceContainer(docker, 'notes-a_web');
  const printed = await execIn(docker, container, ['printenv', 'DATABASE_URL', 'AMQP_URL']);
  t.equal(printed.stdout, `${a['DATABASE_URL']}\n${a['AMQP_URL']}\n`, 'the app runs with its credentials');

  const db = await probe(DB_PROBE, { A_URL: a['DATABASE_URL']!, B_URL: b['DATABASE_URL']! });
  t.match(
    db,
    { own: true, foreign: false, foreignError: 'ER_DBACCESS_DENIED_ERROR' },
    `database: own works, other refused ${JSON.stringify(db)}`,
  );
  const mq = await probe(MQ_PROBE, { A_URL: a['AMQP_URL']!, B_URL: b['AMQP_URL']! });
  t.match(mq, { own: true, foreign: false }, `messagebus: own vhost works, other refused ${JSON.stringify(mq)}`);

  // The installed `minicloud` command on the manager finds the API, its CA and token by itself.
  const ls = await sh(CLI, ['app', 'ls', '--json']);
  t.equal(ls.code, 0, `minicloud app ls ${ls.stderr}`);
  const listed = (JSON.parse(ls.stdout || '[]') as { name: string }[]).map((x) => x.name);
  t.ok(listed.includes('notes-a') && listed.includes('notes-b'), `the CLI lists both apps: ${listed.join(', ')}`);

  const write = await execIn(docker, container, ['sh', '-c', 'echo kept > /data/probe.txt']);
  t.equal(write.code, 0);
  t.equal(
    readFileSync(`${DATA}/storage/notes-a/probe.txt`, 'utf8'),
    'kept\n',
    'storage under the data dir on its node',
  );
});

t.test('on the shared networks an app answers only to <app>_web, never to a bare name', async (t) => {
  t.same(
    await serviceAliases(docker, 'notes-a_web'),
    { 'minicloud-proxy': [], 'minicloud-services': [], 'notes-a_app': ['web'] },
    'its short name on its own network only',
  );
  const a = await serviceAddresses(docker, 'notes-a_web');
  const b = await serviceAddresses(docker, 'notes-b_web');
  // The API sits on both shared networks and has no `web` of its own.
  const api = await serviceContainer(docker, 'minicloud_api');
  t.same(await resolveIn(docker, api, 'web'), [], 'no `web` on the shared networks');
  t.same(await resolveIn(docker, api, 'tasks.web'), [], 'nor tasks.web');
  const full = await resolveIn(docker, api, 'notes-a_web');
  t.ok(full.length > 0 && full.every((ip) => a.includes(ip)), `notes-a_web, which the proxy uses, does: ${full}`);
  const platformDb = await serviceAddresses(docker, 'minicloud_mariadb');
  const db = await resolveIn(docker, api, 'mariadb');
  t.ok(db.length > 0 && db.every((ip) => platformDb.includes(ip)), `mariadb is the platform's alone: ${db}`);
  const own = await resolveIn(docker, await serviceContainer(docker, 'notes-b_web'), 'web');
  t.ok(
    own.length > 0 && own.every((ip) => b.includes(ip) && !a.includes(ip)),
    `from notes-b, \`web\` is its own web and never notes-a's: ${own}`,
  );
});

t.test('a custom domain is added with its own certificate and removed again', async (t) => {
  const add = await api('POST', '/v1/apps/notes-a/domains?wait=true', { domain: 'notes.example.test' });
  t.ok(add.status === 200 || add.status === 201, `add domain: ${JSON.stringify(add.json).slice(0, 300)}`);
  // The API answers once nginx's new workers run: the very next request sees the change.
  const first = await httpsTo('notes.example.test', '/');
  t.equal(first.status, 200, 'served on the custom domain as soon as the API answered');
  t.match(
    await served('notes.example.test'),
    { app: 'hello' },
    'served on the custom domain, certificate from the platform CA',
  );
  const taken = await api('POST', '/v1/apps/notes-b/domains?wait=true', { domain: 'notes.example.test' });
  t.equal(taken.status, 409, 'another app cannot take it');
  t.equal((taken.json as Problem).code, 'MC_DOMAIN_TAKEN');
  const rm = await api('DELETE', '/v1/apps/notes-a/domains/notes.example.test?wait=true');
  t.ok(rm.status < 300, `remove domain ${rm.status}`);
  const gone = await httpsTo('notes.example.test', '/', { insecure: true });
  t.equal(gone.status, 404, 'the custom domain is no longer routed once the API answered: the default server answers');
  t.notOk(existsSync(`${DATA}/secrets/certs/notes.example.test`), 'and its certificate is gone with it');
  t.match(await served(`notes-a.${DOMAIN}`), { app: 'hello' }, 'the default domain still is');
});

t.test('uploaded certificates: ECDSA served, a new one replaces it, an expired one refused', async (t) => {
  const host = 'shop.example.test';
  const upload = (cert: { cert: string; key: string }) =>
    api('POST', '/v1/apps/notes-b/domains', {
      domain: host,
      certificate: { certificatePem: cert.cert, privateKeyPem: cert.key },
    });
  // Trusting only the uploaded self-signed certificate: a handshake proves which one is served.
  const servedWith = (cert: { cert: string }) =>
    httpsTo(host, '/', { ca: cert.cert }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
  const first = opensslCert({ key: 'ec:P-256', names: [host] });
  const add = await upload(first);
  t.equal(add.status, 200, `add with an ECDSA P-256 certificate: ${JSON.stringify(add.json).slice(0, 300)}`);
  t.equal(await servedWith(first), 200, 'nginx serves it');
  const second = opensslCert({ key: 'ec:P-384', names: [host] });
  const replace = await upload(second);
  t.equal(replace.status, 200, `the same domain again, with another certificate: ${JSON.stringify(replace.json)}`);
  t.equal(await servedWith(second), 200, 'the new one is served');
  t.not(await servedWith(first), 200, 'the old one no longer');
  const ca = {
    cert: readFileSync(`${DATA}/pki/ca.crt`, 'utf8'),
    key: new Sensitive(readFileSync(`${DATA}/pki/ca.key`, 'utf8')),
  };
  const old = issueCertificate(
    ca,
    { commonName: host, dnsNames: [host], ips: [], days: 30 },
    new Date('2020-01-01T00:00:00Z'),
  );
  const expired = await upload({ cert: old.cert, key: old.key.reveal() });
  t.equal(expired.status, 400);
  t.match(expired.json, {
    code: 'MC_CERT_INVALID',
    errors: [{ field: 'certificate', message: 'expired on 2020-01-31T00:00:00.000Z' }],
  });
  t.equal(await servedWith(second), 200, 'and the one before stays');
  const rm = await api('DELETE', `/v1/apps/notes-b/domains/${host}`);
  t.ok(rm.status < 300, `remove domain ${rm.status}`);
});

/** The task addresses the proxy's upstream block for an app keeps connections to. */
function upstreamServers(app: string): string[] {
  const conf = readFileSync(`${DATA}/config/management/proxy/conf.d/app-${app}.upstream.conf`, 'utf8');
  return [...conf.matchAll(/^\s*server (\d+\.\d+\.\d+\.\d+):\d+ /gm)].map((m) => m[1]!).sort();
}

t.test('a rolling update drops no request, and the proxy follows the app to its new task', async (t) => {
  const service = 'notes-b_web';
  const running = async () => (await readUpstreamAddresses(docker, [service], 'minicloud-proxy')).get(service) ?? [];
  const before = await running();
  t.equal(before.length, 1, `one running task before: ${before.join(', ')}`);
  t.same(upstreamServers('notes-b'), before, 'the upstream block names it');

  // Requests one after another, each on a new client connection, for as long as the update
  // runs: the old task stops and the new one takes over behind the proxy meanwhile.
  let updating = true;
  const update = api('PATCH', '/v1/apps/notes-b?wait=true', { env: { ROLLED: '1' } }).finally(() => (updating = false));
  const statuses = new Map<string, number>();
  while (updating) {
    const status = await httpsTo(`notes-b.${DOMAIN}`, '/').then(
      (r) => String(r.status),
      (e: Error) => e.message,
    );
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  const res = await update;
  t.equal(res.status, 200, JSON.stringify(res.json).slice(0, 500));
  t.match(res.json, { rolledBack: false });
  t.same([...statuses.keys()], ['200'], `every request answered 200: ${JSON.stringify([...statuses])}`);
  t.ok((statuses.get('200') ?? 0) > 20, `${statuses.get('200')} requests during the update`);

  const after = await running();
  t.equal(after.length, 1, `one running task after: ${after.join(', ')}`);
  t.not(after[0], before[0], 'the new task has another address');
  await waitFor(
    'the upstream block to name the new task',
    async () => {
      const servers = upstreamServers('notes-b');
      if (JSON.stringify(servers) !== JSON.stringify(after)) throw new Error(`names ${servers.join(', ')}`);
      return true;
    },
    15_000,
  );
  t.pass('the upstream block names exactly the new task');
});

t.test('an update whose new version fails its healthcheck is rolled back and reported', async (t) => {
  const res = await api('PATCH', '/v1/apps/notes-a?wait=true', { env: { HEALTH_FAIL: '1' } });
  t.equal(res.status, 200, JSON.stringify(res.json).slice(0, 500));
  t.match(res.json, { rolledBack: true }, `reported as rolled back: ${JSON.stringify(res.json).slice(0, 1500)}`);
  const show = await api('GET', '/v1/apps/notes-a');
  t.notOk((show.json as { envKeys: string[] }).envKeys.includes('HEALTH_FAIL'), 'the record keeps the working version');
  t.notOk('HEALTH_FAIL' in credentials('notes-a'), 'and so does its env file');
  t.match(await served(`notes-a.${DOMAIN}`), { app: 'hello' }, 'and the app still serves');
});

t.test('refused adds leave nothing behind: name clash, no manifest, invalid manifest, failed deploy', async (t) => {
  const clash = await api('POST', '/v1/apps?wait=true', { image: NOTES, name: 'notes-a' });
  t.equal(clash.status, 409);
  t.equal((clash.json as Problem).code, 'MC_APP_EXISTS');

  const plain = await buildAndPush('plain:1', undefined);
  const none = await api('POST', '/v1/apps?wait=true', { image: plain, name: 'plain' });
  t.equal(none.status, 404);
  t.equal((none.json as Problem).code, 'MC_MANIFEST_NOT_FOUND');
  t.same(await traces('plain'), []);

  const broken = await buildAndPush(
    'broken:1',
    'name: Broken\nexpose: [{proto: http, port: 0}]\nneeds: [database, cache]\n',
  );
  const invalid = await api('POST', '/v1/apps?wait=true', { image: broken });
  t.equal(invalid.status, 400);
  t.equal((invalid.json as Problem).code, 'MC_MANIFEST_INVALID');
  const fields = ((invalid.json as Problem).errors ?? []).map((e) => `${e.field}: ${e.message}`);
  t.ok(fields.includes('expose[0].port: must be an integer from 1 to 65535'), `names each field: ${fields.join('; ')}`);
  t.ok(fields.includes('needs[1]: must be one of: database, messagebus, storage, postgres, redis'));
  t.same(await traces('broken'), []);

  const crashing = await buildAndPush(
    'crashing:1',
    'name: crashing\nexpose: [{proto: http, port: 80}]\nneeds: [database, messagebus, storage]\nrunners: [{name: crash, command: ["sh", "-c", "exit 3"]}]\n',
  );
  const failed = await api('POST', '/v1/apps?wait=true', { image: crashing });
  t.equal(failed.status, 502, JSON.stringify(failed.json).slice(0, 300));
  t.equal((failed.json as Problem).code, 'MC_DEPLOY_FAILED');
  t.match((failed.json as Problem).detail, /crashing_crash failed: .*exit \(3\)/, 'with the engine reason');
  t.same(await traces('crashing'), [], 'its database, user, vhost, storage, stack, record and vhost file are undone');
});

t.test('after the manager engine restarts, the proxy and the apps come back by themselves', async (t) => {
  // The test swarm's manager (scripts/engine/README.md), never the host's own engine.
  await stopTestEngine('mgr');
  const up = await sh('bash', [`${REPO}/scripts/engine/up.sh`], { timeout: 300_000 });
  t.equal(up.code, 0, `the engine starts again ${up.stderr.slice(-500)}`);
  for (const name of ['notes-a', 'notes-b'])
    t.match(await served(`${name}.${DOMAIN}`), { app: 'hello' }, `${name} is served again`);
  const apps = await waitFor(
    'the admin API to report both apps healthy',
    async () => {
      const res = await api('GET', '/v1/apps');
      const list = (res.json as { apps?: { name: string; health: string }[] }).apps ?? [];
      if (res.status !== 200 || list.some((a) => a.health !== 'healthy'))
        throw new Error(`${res.status} ${JSON.stringify(res.json)}`);
      return list;
    },
    180_000,
  );
  t.ok(
    ['notes-a', 'notes-b'].every((n) => apps.some((a) => a.name === n)),
    'and the admin API, with both apps healthy',
  );
  for (const name of ['notes-a', 'notes-b']) {
    const service = `${name}_web`;
    await waitFor(
      `the upstream block of ${name} to name its task after the restart`,
      async () => {
        const tasks = (await readUpstreamAddresses(docker, [service], 'minicloud-proxy')).get(service) ?? [];
        const servers = upstreamServers(name);
        if (tasks.length === 0 || JSON.stringify(servers) !== JSON.stringify(tasks))
          throw new Error(`tasks ${tasks.join(', ')}, upstream ${servers.join(', ')}`);
        return true;
      },
      30_000,
    );
  }
  t.pass('the proxy keeps connections to the tasks that run now, not to those from before');
});

t.test('remove keeps the data; purge removes every trace', async (t) => {
  const rm = await api('DELETE', '/v1/apps/notes-b?wait=true');
  t.equal(rm.status, 204, JSON.stringify(rm.json));
  t.same(
    await traces('notes-b'),
    ['credentials file', 'storage dir', 'database', 'database user', 'vhost'],
    'stack, record and routes gone; data kept',
  );
  const gone = await httpsTo(`notes-b.${DOMAIN}`, '/');
  t.equal(gone.status, 404, 'no longer routed');

  const purge = await api('DELETE', '/v1/apps/notes-a?purge=true&wait=true');
  t.equal(purge.status, 204, JSON.stringify(purge.json));
  t.same(await traces('notes-a'), [], 'nothing left of notes-a');
  const list = await api('GET', '/v1/apps');
  const left = (list.json as { apps: { name: string }[] }).apps.map((a) => a.name);
  t.notOk(left.includes('notes-a') || left.includes('notes-b'), `neither app is listed any more: ${left.join(', ')}`);
});

t.teardown(async () => {
  for (const name of ['notes-a', 'notes-b', 'crashing', 'plain'])
    await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`).catch(() => undefined);
});
