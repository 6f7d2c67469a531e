import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createClient, type RedisClientType } from '@redis/client';
import tar from 'tar-stream';
import {
  REDIS_ACL_FILE,
  REDIS_CONFIG,
  REDIS_CONFIG_PATH,
  REDIS_PASSWORD_SECRET,
  REDIS_START_PATH,
  REDIS_START_SCRIPT,
  RedisAdmin,
  redisUrl,
  Sensitive,
} from '@minicloud/core';
import { ensureDebianImages, removeContainer } from '../helpers/backup-servers.js';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';
import { messageOf } from '../helpers/service-containers.js';

// The Redis adapter against the real server: the Debian image (minicloud/redis:bookworm, as
// install.sh builds it) started the way the management stack starts it, with the config,
// start script and admin secret of packages/core/src/needs/redis/service.ts copied into the
// container, its port published on the test manager's address only. Each app's credentials
// must work on its own keys and channels and be refused on the other's and server-wide; a
// backup must restore identical; drop must take the user and the keys; and the users and
// keys must outlive a restart.

const env = engineEnv();
const docker = managerDocker(env);
/** Where the manager publishes the container's port: its own address in its namespace. */
const HOST = env.swarmAddr;
const name = `mc-provtest-redis-${process.pid}`;
// App passwords with quotes, a backtick, a semicolon, URL delimiters and non-ASCII: they must
// survive the ACL (as a hash) and REDIS_URL. The admin's is base64url, as the platform makes it.
const secret = () => new Sensitive(`${randomBytes(12).toString('base64url')}'"\`;:/@?#%é`);
const adminPassword = new Sensitive(randomBytes(18).toString('base64url'));

t.teardown(() => removeContainer(docker, name));

/** The files the management stack mounts, as a tar to put into the created container. */
function files(): Readable {
  const pack = tar.pack();
  const add = (path: string, text: string, mode: number) => pack.entry({ name: path.replace(/^\//, ''), mode }, text);
  add(REDIS_CONFIG_PATH, REDIS_CONFIG, 0o644);
  add(REDIS_START_PATH, REDIS_START_SCRIPT, 0o755);
  add(REDIS_PASSWORD_SECRET, adminPassword.reveal(), 0o400);
  pack.finalize();
  return pack;
}

async function startRedis(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'mc-redis-test-'));
  try {
    await ensureDebianImages(env, work, ['redis']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await removeContainer(docker, name);
  const container = await docker.createContainer({
    name,
    Image: 'minicloud/redis:bookworm',
    Entrypoint: ['sh', REDIS_START_PATH],
    Cmd: [],
    Labels: { 'minicloud.test': 'provision' },
    HostConfig: {
      // A fixed port (below the engine's ephemeral range), so the restart below keeps it: with
      // HostPort '' the engine may pick another one when the container starts again.
      PortBindings: { '6379/tcp': [{ HostIp: HOST, HostPort: String(20000 + (process.pid % 10000)) }] },
      Memory: 64 * 1024 * 1024,
    },
  });
  await container.putArchive(files(), { path: '/' });
  await container.start();
  const info = await container.inspect();
  return Number(info.NetworkSettings.Ports['6379/tcp']?.[0]?.HostPort ?? 0);
}

const port = await startRedis();
const admin = new RedisAdmin({ host: HOST, port, password: adminPassword, unavailableWaitMs: 60_000 });
await admin.exists('nothing-yet');

/** A connection as the app would open it: from its REDIS_URL, no reconnects. */
async function appConnect(user: string, password: Sensitive<string>): Promise<RedisClientType> {
  const url = redisUrl({ user, password, host: HOST, port }).reveal();
  const client = createClient({ url, socket: { reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  t.teardown(() => client.destroy());
  return client;
}

/** The admin's own connection, for looking behind the adapter. */
const root = await appConnect('mcadmin', adminPassword);

const shopPw = secret();
const blogPw = secret();
const shop = await admin.ensure('prov-shop', shopPw);
const blog = await admin.ensure('prov-blog', blogPw);

t.test('names follow provisionName, and the users exist', async (t) => {
  t.same(shop, { user: 'prov_shop', prefix: 'prov_shop:' });
  t.same(blog, { user: 'prov_blog', prefix: 'prov_blog:' });
  t.equal(await admin.exists('prov-shop'), true);
  t.equal(await admin.exists('prov-none'), false);
  t.match(await admin.version(), /^7\./);
});

t.test('an anonymous connection can do nothing', async (t) => {
  // A bare socket: client libraries refuse to go on after their HELLO is refused.
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, HOST, () => socket.write('*2\r\n$3\r\nGET\r\n$11\r\nprov_shop:a\r\n'));
    socket.once('data', (data: Buffer) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.once('error', reject);
  });
  t.match(reply, /^-NOAUTH /);
  t.match(await messageOf(appConnect('default', new Sensitive('x'))), /WRONGPASS/);
});

t.test('each app works on its own keys and channels', async (t) => {
  for (const [names, pw] of [
    [shop, shopPw],
    [blog, blogPw],
  ] as const) {
    const c = await appConnect(names.user, pw);
    const p = names.prefix;
    await c.set(`${p}greeting`, `hello from ${names.user}`);
    await c.hSet(`${p}h`, { a: '1', b: '2' });
    await c.rPush(`${p}jobs`, ['j1', 'j2']);
    await c.set(`${p}session`, 's', { PX: 600_000 });
    t.equal(await c.get(`${p}greeting`), `hello from ${names.user}`);
    t.same(await c.hGetAll(`${p}h`), { a: '1', b: '2' });
    t.same(await c.sendCommand(['SORT', `${p}jobs`, 'ALPHA']), ['j1', 'j2'], 'SORT on its own list');
    t.same(await c.eval('return redis.call("GET", KEYS[1])', { keys: [`${p}greeting`] }), `hello from ${names.user}`);
    const sub = await appConnect(names.user, pw);
    const got = new Promise<string>((resolve) => void sub.subscribe(`${p}news`, (m) => resolve(m)));
    await waitFor(
      'the subscription',
      async () => ((await c.publish(`${p}news`, 'hi')) > 0 ? true : undefined),
      5000,
      100,
    );
    t.equal(await got, 'hi', `${names.user} receives on its own channel`);
  }
});

t.test("and is refused on the other's keys and channels, and server-wide", async (t) => {
  const c = await appConnect(shop.user, shopPw);
  const noKey = /NOPERM .*(keys|key)/;
  const noCmd = (cmd: string) => new RegExp(`NOPERM .*'${cmd}'`);
  t.match(await messageOf(c.get('prov_blog:greeting')), noKey, 'read');
  t.match(await messageOf(c.set('prov_blog:greeting', 'taken')), noKey, 'write');
  t.match(await messageOf(c.del('prov_blog:greeting')), noKey, 'delete');
  t.match(await messageOf(c.rename('prov_shop:greeting', 'prov_blog:x')), noKey, 'rename into');
  t.match(await messageOf(c.copy('prov_blog:greeting', 'prov_shop:stolen')), noKey, 'copy out');
  t.match(await messageOf(c.sendCommand(['DUMP', 'prov_blog:greeting'])), noKey, 'dump');
  t.match(await messageOf(c.set('unprefixed', '1')), noKey, 'a key outside any prefix');
  t.match(await messageOf(c.eval('return redis.call("GET", "prov_blog:greeting")')), /can't access/, 'from a script');
  t.match(await messageOf(c.sendCommand(['SORT', 'prov_shop:jobs', 'BY', 'prov_blog:*'])), /BY option of SORT denied/);
  t.match(
    await messageOf(c.sendCommand(['SORT', 'prov_shop:jobs', 'GET', 'prov_blog:*'])),
    /GET option of SORT denied/,
  );
  t.match(await messageOf(c.publish('prov_blog:news', 'x')), /NOPERM .*channel/, 'publish');
  t.match(await messageOf(c.sendCommand(['SUBSCRIBE', 'prov_blog:news'])), /NOPERM .*channel/, 'subscribe');
  t.match(await messageOf(c.sendCommand(['PSUBSCRIBE', '*'])), /NOPERM .*channel/, 'psubscribe everything');
  t.match(
    await messageOf(c.sendCommand(['SUBSCRIBE', '__keyspace@0__:prov_blog:greeting'])),
    /NOPERM/,
    'keyspace events',
  );
  for (const [label, args, cmd] of [
    ['KEYS', ['KEYS', '*'], 'keys'],
    ['SCAN', ['SCAN', '0'], 'scan'],
    ['SCAN MATCH', ['SCAN', '0', 'MATCH', 'prov_shop:*'], 'scan'],
    ['RANDOMKEY', ['RANDOMKEY'], 'randomkey'],
    ['DBSIZE', ['DBSIZE'], 'dbsize'],
    ['FLUSHALL', ['FLUSHALL'], 'flushall'],
    ['FLUSHDB', ['FLUSHDB'], 'flushdb'],
    ['SELECT', ['SELECT', '0'], 'select'],
    ['SWAPDB', ['SWAPDB', '0', '1'], 'swapdb'],
    ['MOVE', ['MOVE', 'prov_shop:greeting', '1'], 'move'],
    ['CONFIG GET', ['CONFIG', 'GET', '*'], 'config|get'],
    ['CONFIG SET', ['CONFIG', 'SET', 'maxmemory', '0'], 'config|set'],
    ['ACL LIST', ['ACL', 'LIST'], 'acl|list'],
    ['ACL SETUSER', ['ACL', 'SETUSER', 'prov_shop', '~*'], 'acl|setuser'],
    ['ACL WHOAMI', ['ACL', 'WHOAMI'], 'acl|whoami'],
    ['CLIENT LIST', ['CLIENT', 'LIST'], 'client|list'],
    ['CLIENT KILL', ['CLIENT', 'KILL', 'USER', 'prov_blog'], 'client|kill'],
    ['CLIENT TRACKING', ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'prov_blog:'], 'client|tracking'],
    ['MONITOR', ['MONITOR'], 'monitor'],
    ['SHUTDOWN', ['SHUTDOWN', 'NOSAVE'], 'shutdown'],
    ['SAVE', ['BGSAVE'], 'bgsave'],
    ['SLOWLOG', ['SLOWLOG', 'GET'], 'slowlog|get'],
    ['PUBSUB CHANNELS', ['PUBSUB', 'CHANNELS'], 'pubsub|channels'],
    ['FUNCTION FLUSH', ['FUNCTION', 'FLUSH'], 'function|flush'],
    ['SCRIPT FLUSH', ['SCRIPT', 'FLUSH'], 'script|flush'],
    ['MIGRATE', ['MIGRATE', HOST, '1', 'prov_shop:greeting', '0', '100'], 'migrate'],
  ] as const) {
    t.match(await messageOf(c.sendCommand([...args])), noCmd(cmd), label);
  }
  t.match(await messageOf(c.sendCommand(['DEBUG', 'SLEEP', '0'])), /NOPERM|DEBUG command not allowed/, 'DEBUG');
  t.match(await messageOf(c.eval('return redis.call("FLUSHALL")')), /can't run this command/, 'FLUSHALL from a script');
  t.match(await messageOf(appConnect(blog.user, shopPw)), /WRONGPASS/, "shop's password is not blog's");
  const other = await appConnect(blog.user, blogPw);
  t.equal(await other.get('prov_blog:greeting'), 'hello from prov_blog', "blog's keys are untouched");
  t.equal(await root.exists('unprefixed'), 0);
});

t.test('a backup of the keys restores them identical, expiry included, and only under the prefix', async (t) => {
  const c = await appConnect(shop.user, shopPw);
  await c.set(Buffer.from([...Buffer.from('prov_shop:'), 0xff, 0x00]), Buffer.from([1, 2, 3]));
  const before = await snapshot(shop.prefix);
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const dumped = await admin.dumpKeys('prov-shop', out);
  t.equal(dumped.keys, before.length);
  await c.set('prov_shop:greeting', 'changed');
  await c.set('prov_shop:added-after', 'x');
  const restored = await admin.restoreKeys('prov-shop', Readable.from([Buffer.concat(chunks)]));
  t.equal(restored.keys, before.length);
  t.equal(restored.header.prefix, 'prov_shop:');
  t.same(await snapshot(shop.prefix), before, 'the same keys, values and expiry');
  const ttl = await c.pTTL('prov_shop:session');
  t.ok(ttl > 0 && ttl <= 600_000, `the session key still expires (${ttl} ms)`);
  t.equal(await root.get('prov_blog:greeting'), 'hello from prov_blog', 'the other app is untouched');

  const cut = Buffer.concat(chunks).toString().split('\n').slice(0, 2).join('\n');
  t.match(await messageOf(admin.restoreKeys('prov-shop', Readable.from([cut]))), /^MC_BACKUP_DAMAGED/);
  t.same(await snapshot(shop.prefix), before, 'a damaged file changes nothing');
});

/** Every key under a prefix with its DUMP and whether it expires, sorted: what a restore must give back. */
async function snapshot(prefix: string): Promise<[string, string, boolean][]> {
  const keys = (await root.sendCommand(['KEYS', `${prefix}*`], { typeMapping: { 36: Buffer } })) as Buffer[];
  const out: [string, string, boolean][] = [];
  for (const key of keys) {
    const dump = (await root.sendCommand(['DUMP', key], { typeMapping: { 36: Buffer } })) as Buffer;
    const expires = ((await root.sendCommand(['PEXPIRETIME', key])) as number) > 0;
    out.push([key.toString('hex'), dump.toString('hex'), expires]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

t.test('rekey: the old password and its open connections are refused, the new one works', async (t) => {
  const open = await appConnect(shop.user, shopPw);
  const newPw = secret();
  await admin.rekey('prov-shop', newPw);
  t.not(await messageOf(open.get('prov_shop:greeting')), 'no error', 'the connection opened before is closed');
  t.match(await messageOf(appConnect(shop.user, shopPw)), /WRONGPASS/);
  const c = await appConnect(shop.user, newPw);
  t.equal(await c.get('prov_shop:greeting'), 'hello from prov_shop', 'the keys stay');
  t.match(await messageOf(admin.rekey('prov-none', newPw)), /^MC_REDIS: app prov-none has no Redis user/);
});

t.test('users and keys outlive a restart (ACL file and AOF on the volume)', async (t) => {
  await docker.getContainer(name).restart({ t: 10 });
  await waitFor('Redis after the restart', async () => (await admin.exists('prov-blog')) || undefined, 60_000);
  const c = await appConnect(blog.user, blogPw);
  t.equal(await c.get('prov_blog:greeting'), 'hello from prov_blog');
  t.same(await c.lRange('prov_blog:jobs', 0, -1), ['j1', 'j2']);
});

t.test('drop removes the user and every key of the app, and closes its connections', async (t) => {
  const open = await appConnect(blog.user, blogPw);
  const admin2 = new RedisAdmin({ host: HOST, port, password: adminPassword });
  const rootAfter = await appConnect('mcadmin', adminPassword);
  await admin2.drop('prov-blog');
  t.equal(await admin2.exists('prov-blog'), false);
  t.not(await messageOf(open.get('prov_blog:greeting')), 'no error', 'its open connection is gone');
  t.match(await messageOf(appConnect(blog.user, blogPw)), /WRONGPASS/);
  t.same(await rootAfter.keys('prov_blog:*'), [], 'no key left');
  t.ok((await rootAfter.keys('prov_shop:*')).length > 0, "the other app's keys stay");
  const acl = (await rootAfter.sendCommand(['ACL', 'LIST'])) as string[];
  t.same(
    acl.map((l) => l.split(' ')[1]).sort(),
    ['default', 'mcadmin', 'prov_shop'],
    `only the other app keeps its user (${REDIS_ACL_FILE})`,
  );
  t.ok(acl.find((l) => l.startsWith('user default '))?.includes(' off '), 'the default user is off');
  await admin2.drop('prov-blog');
  t.pass('dropping again is fine');
});

t.test('a wrong admin password is a coded error naming the server, not the password', async (t) => {
  const wrong = new Sensitive(`${adminPassword.reveal()}x`);
  const appPw = secret();
  const text = await messageOf(new RedisAdmin({ host: HOST, port, password: wrong }).ensure('prov-shop', appPw));
  t.match(text, `MC_REDIS: cannot connect to the Redis server mcadmin@${HOST}:${port}: `);
  t.match(text, /WRONGPASS/);
  for (const pw of [wrong, adminPassword, appPw]) t.notMatch(text, pw.reveal());
});
