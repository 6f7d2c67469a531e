import t from 'tap';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dockerCli, engineEnv, execIn, managerDocker, serviceContainer, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, DATA, DOMAIN, httpsTo, INSTALL, platformSecret, sh } from '../helpers/platform.js';
import { credentials, DB_PROBE, probe, served, traces } from '../helpers/apps.js';
import { filesHolding, whileServiceDown } from '../helpers/leftovers.js';

// Issue 11: apps are hostile tenants. On the installed test platform, apps try what a tenant
// could try against another app, the admin and the platform's secrets, and are refused each
// time. The names my-shop and myxshop differ only where MariaDB's `_` wildcard stands.
const env = engineEnv();
const docker = managerDocker(env);
const SHOP = 'my-shop';
const LOOKALIKE = 'myxshop';
/** An operator's secret env value: it must never be written under config/. */
const API_KEY = `sk-live-${Date.now().toString(36)}-not-for-git`;
let IMAGE = '';

const MANIFEST = [
  'name: tenant',
  'expose: [{proto: http, port: 80}]',
  'needs: [database, messagebus, storage]',
  'healthcheck: {http: /health, interval: 3s, retries: 2, start_period: 3s}',
].join('\n');

async function add(name: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await api('POST', '/v1/apps?wait=true', { image: IMAGE, name, ...body });
  if (res.status !== 201) throw new Error(`add ${name}: ${res.status} ${JSON.stringify(res.json).slice(0, 500)}`);
}

async function removeQuietly(name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
    if (res.status === 204 || res.status === 404) return;
  }
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  IMAGE = await buildAndPush('tenant:1', MANIFEST);
  for (const name of [SHOP, LOOKALIKE]) await removeQuietly(name);
  await add(SHOP, { env: { API_KEY } });
  await add(LOOKALIKE);
  await served(`${SHOP}.${DOMAIN}`);
});

t.teardown(async () => {
  for (const name of [SHOP, LOOKALIKE]) await removeQuietly(name);
});

t.test("database: an app's credentials reach its own database only, even where `_` is a wildcard", async (t) => {
  const shop = credentials(SHOP);
  const lookalike = credentials(LOOKALIKE);
  t.match(shop['DATABASE_URL'], /\/my_shop$/);
  t.match(lookalike['DATABASE_URL'], /\/myxshop$/);
  const db = await probe(DB_PROBE, { A_URL: shop['DATABASE_URL']!, B_URL: lookalike['DATABASE_URL']! });
  t.match(
    db,
    { own: true, foreign: false, foreignError: 'ER_DBACCESS_DENIED_ERROR' },
    `my_shop works in its database and is refused in myxshop's: ${JSON.stringify(db)}`,
  );
});

t.test('env values stay out of the configuration directory', async (t) => {
  t.same(filesHolding(`${DATA}/config`, API_KEY), [], 'no file under config/ holds the value');
  const kept = filesHolding(`${DATA}/secrets`, API_KEY);
  t.same(
    kept,
    [`${DATA}/secrets/apps/${SHOP}.env`, `${DATA}/secrets/apps/${SHOP}.secrets.json`],
    'it is kept with the credentials',
  );
  for (const file of kept) t.equal(statSync(file).mode & 0o777, 0o600, `${file} is 0600`);
  const container = await serviceContainer(docker, `${SHOP}_web`);
  t.equal((await execIn(docker, container, ['printenv', 'API_KEY'])).stdout, `${API_KEY}\n`, 'and the app gets it');
  const shown = await api('GET', `/v1/apps/${SHOP}`);
  t.notMatch(JSON.stringify(shown.json), API_KEY, 'the API does not show it');
  t.match(shown.json, { envKeys: ['API_KEY'] }, 'only its name');
});

/** Addresses a name resolves to from a container on the services network. */
async function resolve(names: string[]): Promise<Record<string, string[]>> {
  const script = `const dns = require('dns').promises; (async () => { const out = {}; for (const n of JSON.parse(process.env.NAMES)) { try { out[n] = (await dns.lookup(n, { all: true, family: 4 })).map((a) => a.address).sort() } catch { out[n] = [] } } console.log(JSON.stringify(out)) })()`;
  return (await probe(script, { NAMES: JSON.stringify(names) })) as Record<string, string[]>;
}

/** The addresses a platform service's running tasks have on a network. */
async function taskAddresses(service: string, network: string): Promise<string[]> {
  const tasks = await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } });
  return tasks
    .flatMap((task) =>
      (
        (task as { NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[] })
          .NetworksAttachments ?? []
      )
        .filter((a) => a.Network?.Spec?.Name === network)
        .flatMap((a) => a.Addresses ?? []),
    )
    .map((cidr) => cidr.split('/')[0]!)
    .sort();
}

t.test(
  'on the shared networks an app answers only to its own full name; platform names are the platform',
  async (t) => {
    const found = await resolve(['web', 'mariadb', 'rabbitmq', `${SHOP}_web`, `${LOOKALIKE}_web`]);
    t.same(found['web'], [], 'no app answers to the bare name `web` on minicloud-services');
    t.same(
      found['mariadb'],
      await taskAddresses('minicloud_mariadb', 'minicloud-services'),
      'mariadb is only the platform',
    );
    t.same(found['rabbitmq'], await taskAddresses('minicloud_rabbitmq', 'minicloud-services'), 'rabbitmq too');
    t.not(found[`${SHOP}_web`]?.length ?? 0, 0, 'an app is reached by its full service name');

    const squatter = await buildAndPush(
      'squatter:1',
      'name: squatter\nexpose: [{proto: http, port: 80}]\nneeds: [database]\nrunners: [{name: mariadb, command: [node, /app/worker.js]}]\n',
    );
    const res = await api('POST', '/v1/apps?wait=true', { image: squatter, name: 'squatter' });
    t.equal(res.status, 400, 'a runner named after a platform service is refused');
    t.match(JSON.stringify(res.json), /runners\[0\]\.name/, JSON.stringify(res.json).slice(0, 300));
    t.same(await traces('squatter'), [], 'and nothing of it was made');
  },
);

t.test('the redeploy webhook token appears in no log line of the proxy or the API', async (t) => {
  const hook = await api('PUT', `/v1/apps/${SHOP}/webhook`);
  t.equal(hook.status, 201);
  const url = new URL((hook.json as { url: string }).url);
  const token = url.searchParams.get('token')!;
  t.ok(token.length >= 20);
  const call = await httpsTo(`admin.${DOMAIN}`, `${url.pathname}${url.search}`, {
    method: 'POST',
    body: { push_data: { tag: '1' }, repository: { repo_name: 'someone/else' } },
  });
  t.equal(call.status, 403, 'a push of another repository is refused (after the token was checked)');
  const wrong = await httpsTo(`admin.${DOMAIN}`, `${url.pathname}?token=wrong-${token}`, {
    method: 'POST',
    body: { push_data: { tag: '1' }, repository: { repo_name: 'x/y' } },
  });
  t.equal(wrong.status, 401);
  // nginx writes its access log lines as the requests end; the API logs at once.
  await new Promise((r) => setTimeout(r, 2000));
  for (const service of ['minicloud_proxy', 'minicloud_api']) {
    const logs = await dockerCli(['service', 'logs', '--raw', service]);
    t.ok(logs.includes('/v1/hooks/'), `${service} logged the hook calls`);
    t.notOk(logs.includes(token), `${service}'s log holds no token`);
  }
  t.equal((await api('DELETE', `/v1/apps/${SHOP}/webhook`)).status, 204);
});

t.test('storage backups never follow links an app swaps into its storage while they run', async (t) => {
  const secrets = [platformSecret('admin-token'), platformSecret('mariadb-root-password')];
  const container = await serviceContainer(docker, `${SHOP}_web`);
  // In the app's own container: for 40 s, swap a file and a directory in /data with links to
  // the platform's secrets (the host paths: the backup runs where those exist).
  const swapper = `
const fs = require('fs'); const end = Date.now() + 40000; let n = 0;
fs.mkdirSync('/data/swap', { recursive: true });
while (Date.now() < end) {
  try { fs.writeFileSync('/data/swap/f.tmp', 'harmless'); fs.renameSync('/data/swap/f.tmp', '/data/swap/file'); } catch {}
  try { fs.symlinkSync(${JSON.stringify(`${DATA}/secrets/admin-token`)}, '/data/swap/l.tmp'); fs.renameSync('/data/swap/l.tmp', '/data/swap/file'); } catch {}
  try { fs.rmSync('/data/swap/dir', { recursive: true, force: true }); fs.mkdirSync('/data/swap/dir'); fs.writeFileSync('/data/swap/dir/x', 'harmless'); } catch {}
  try { fs.rmSync('/data/swap/dir', { recursive: true, force: true }); fs.symlinkSync(${JSON.stringify(`${DATA}/secrets`)}, '/data/swap/dir'); } catch {}
  n++;
}
console.log(n);`;
  // A file that stays put: every archive must hold it, so an empty archive cannot pass.
  t.equal((await execIn(docker, container, ['sh', '-c', 'echo kept-in-every-backup > /data/keep.txt'])).code, 0);
  const running = execIn(docker, container, ['node', '-e', swapper]);
  const ids: string[] = [];
  const start = Date.now();
  while (Date.now() - start < 30_000 && ids.length < 8) {
    const res = await api('POST', `/v1/apps/${SHOP}/backups?wait=true`);
    t.equal(res.status, 201, `backup ${ids.length + 1}: ${JSON.stringify(res.json).slice(0, 200)}`);
    ids.push((res.json as { id: string }).id);
  }
  const swaps = await running;
  t.ok(Number(swaps.stdout) > 100, `the app swapped ${swaps.stdout.trim()} times during ${ids.length} backups`);
  let links = 0;
  for (const id of ids) {
    const archive = `${DATA}/backups/${SHOP}/${id}/storage.tar.gz`;
    const contents = execFileSync('tar', ['-xzOf', archive], { maxBuffer: 64 * 1024 * 1024 }).toString('latin1');
    t.match(contents, 'kept-in-every-backup', `backup ${id} holds the app's files`);
    t.notOk(
      secrets.some((s) => contents.includes(s)),
      `backup ${id} holds no platform secret (${contents.length} bytes of file contents)`,
    );
    const listing = execFileSync('tar', ['-tzvf', archive]).toString();
    if (/^l.* (\.\/)?swap\/(file|dir) -> /m.test(listing)) links += 1;
  }
  t.ok(
    links > 0,
    `the swaps were caught mid-way: ${links} of ${ids.length} archives hold a swapped-in link, as a link`,
  );
  const restore = await api('POST', `/v1/apps/${SHOP}/backups/latest/restore?wait=true`, { backupFirst: false });
  t.ok(restore.status === 200 || restore.status === 201, `restore: ${JSON.stringify(restore.json).slice(0, 300)}`);
  for (const secret of secrets)
    t.same(filesHolding(`${DATA}/storage/${SHOP}`, secret), [], 'the restored storage holds no platform secret');
});

t.test('a purge that fails half way leaves no working token, and a re-added name inherits none', async (t) => {
  const made = await api('POST', '/v1/tokens', { app: LOOKALIKE, description: 'ci' });
  t.equal(made.status, 201);
  const token = (made.json as { token: string }).token;
  const asDeployer = (path: string) => httpsTo(`admin.${DOMAIN}`, path, { token });
  t.equal((await asDeployer(`/v1/apps/${LOOKALIKE}`)).status, 200, 'the deploy token works for its app');
  const hook = new URL(((await api('PUT', `/v1/apps/${LOOKALIKE}/webhook`)).json as { url: string }).url);
  const callHook = () =>
    httpsTo(`admin.${DOMAIN}`, `${hook.pathname}${hook.search}`, {
      method: 'POST',
      body: { push_data: { tag: '1' }, repository: { repo_name: 'x/y' } },
    });

  // MariaDB away: the purge cannot drop the database.
  await whileServiceDown(docker, 'minicloud_mariadb', async () => {
    const failed = await api('DELETE', `/v1/apps/${LOOKALIKE}?purge=true&wait=true`);
    t.match(
      failed,
      { status: 502, json: { code: 'MC_APP_REMOVE_INCOMPLETE', errors: [{ field: 'database' }] } },
      `the purge fails and names what is left: ${JSON.stringify(failed.json).slice(0, 300)}`,
    );
    t.equal((await api('GET', `/v1/apps/${LOOKALIKE}`)).status, 200, 'the app stays, to be removed again');
    t.equal((await asDeployer(`/v1/apps/${LOOKALIKE}`)).status, 401, 'its deploy token no longer works');
    t.equal((await callHook()).status, 401, 'nor its webhook');
  });
  const again = await waitFor('a second remove to finish it', async () => {
    const res = await api('DELETE', `/v1/apps/${LOOKALIKE}?purge=true&wait=true`);
    return res.status === 204 ? res : undefined;
  });
  t.equal(again.status, 204);
  t.same(await traces(LOOKALIKE), [], 'nothing of it is left');

  await add(LOOKALIKE);
  t.equal((await asDeployer(`/v1/apps/${LOOKALIKE}`)).status, 401, 'the re-added name does not take the old token');
  t.equal((await callHook()).status, 401, 'nor the old webhook');
});
