import t from 'tap';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  lstatSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { run as cli } from '@minicloud/cli';
import {
  appBackupStatus,
  backupContext,
  createAppBackup,
  readBackupManifest,
  restoreAppBackup,
  verifyBackup,
  writeBackupManifest,
  type BackupContext,
  type BackupEntry,
  type VhostDefinitions,
} from '@minicloud/core';
import { ensureDebianImages, removeContainer, startServer } from '../helpers/backup-servers.js';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';

// Issue 7 end to end against real servers: a MariaDB and a RabbitMQ container of the
// platform's Debian images on the manager, reached only through the Engine API (exec), as
// the API service reaches the management stack's. An app's rows, files and vhost are backed
// up, destroyed and restored identical (checksums); restored into a new app too; the test
// restore proves the dump and drops its scratch database; an altered file is refused.

const env = engineEnv();
const docker = managerDocker(env);
const MARIADB = 'mc-backup-e2e-mariadb';
const RABBITMQ = 'mc-backup-e2e-rabbitmq';
const work = mkdtempSync(join(tmpdir(), 'mc-backup-e2e-'));
const dataDir = join(work, 'data');
let ctx: BackupContext;

async function sql(query: string, database?: string): Promise<string[][]> {
  return ctx.mariadb.query(query, database);
}

/** CHECKSUM TABLE of each table, and a hash of every row in primary-key order. */
async function contents(database: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, sum] of await sql(
    `CHECKSUM TABLE ${database}.orders, ${database}.customers, ${database}.empty_table EXTENDED`,
  )) {
    out[`checksum ${name!.slice(database.length + 1)}`] = sum!;
  }
  const rows = await sql(`SELECT id, HEX(note), HEX(data), price, created FROM ${database}.orders ORDER BY id`);
  out['orders rows'] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  const objects = await sql(
    `SELECT 'routine', routine_name FROM information_schema.routines WHERE routine_schema = '${database}' UNION ALL ` +
      `SELECT 'trigger', trigger_name FROM information_schema.triggers WHERE trigger_schema = '${database}' UNION ALL ` +
      `SELECT 'view', table_name FROM information_schema.views WHERE table_schema = '${database}' ORDER BY 1, 2`,
  );
  out['objects'] = objects.map((r) => r.join(' ')).join(', ');
  return out;
}

/** A directory tree: paths, modes, content hashes, link targets. */
function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(join(dir, rel))}`);
    else if (st.isDirectory()) out.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`, ...tree(dir, rel));
    else
      out.push(
        `${rel} ${(st.mode & 0o7777).toString(8)} ${createHash('sha256')
          .update(readFileSync(join(dir, rel)))
          .digest('hex')}`,
      );
  }
  return out;
}

function definitionsOf(defs: VhostDefinitions): string {
  // A policy names its vhost; restored into another app it names that one.
  const names = (list: unknown[] | undefined) =>
    JSON.stringify((list ?? []).map((item) => ({ ...(item as object), vhost: undefined })));
  return [names(defs.queues), names(defs.exchanges), names(defs.bindings), names(defs.policies)].join('\n');
}

/** Strings a dump must carry through unchanged, as hex so the test's own SQL needs no escaping. */
const TRICKY = [
  "it's",
  'back\\slash\\',
  'new\nline and\r\ncrlf\tand tab',
  "'); DROP TABLE orders; --",
  '),(',
  '"double" `backtick`',
  'NUL \u0000 byte',
  'ünïcödé 表 🚀',
  '/* not a comment */ -- nor this',
  'DELIMITER ;;',
  "\\'",
];

async function seedApp(database: string, storage: string): Promise<void> {
  await ctx.mariadb.createDatabase(database);
  const ddl = [
    'CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4) ENGINE=InnoDB',
    'CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, note TEXT, data BLOB, price DECIMAL(10,2), created DATETIME(6)) ENGINE=InnoDB',
    'CREATE TABLE empty_table (id INT) ENGINE=InnoDB',
    'CREATE VIEW big_orders AS SELECT id, price FROM orders WHERE price > 100',
    "CREATE TRIGGER orders_default BEFORE INSERT ON orders FOR EACH ROW SET NEW.note = IFNULL(NEW.note, 'none')",
  ];
  for (const statement of ddl) await sql(statement, database);
  // A routine with `;` inside its body: through the client's stdin, which understands DELIMITER.
  await ctx.mariadb.load(
    database,
    Readable.from([
      'DELIMITER ;;\nCREATE PROCEDURE add_customer(IN n INT) BEGIN INSERT INTO customers VALUES (n, CONCAT("c", n)); INSERT INTO customers VALUES (n + 100000, "x"); END;;\nDELIMITER ;\n',
    ]),
  );
  const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');
  const tricky = TRICKY.map(
    (s, i) =>
      `(${i + 1}, 1, CONVERT(X'${hex(s)}' USING utf8mb4), X'${hex(Buffer.from(Array.from({ length: 256 }, (_, b) => (b + i) % 256)))}', ${i}.5, '2025-01-0${(i % 9) + 1} 12:00:00.123456')`,
  );
  await sql(`INSERT INTO orders VALUES ${tricky.join(',')}`, database);
  await sql(
    `INSERT INTO orders (customer, note, data, price, created) SELECT seq % 50, CONCAT('order ', seq, ' it''s (', seq, ')'), RANDOM_BYTES(32), seq / 7, NOW(6) FROM seq_1_to_5000`,
    database,
  );
  await sql(`INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_50`, database);
  await sql('CALL add_customer(777)', database);

  mkdirSync(join(storage, 'uploads/2025/empty'), { recursive: true });
  writeFileSync(
    join(storage, 'uploads/2025/photo.jpg'),
    Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256)),
  );
  writeFileSync(join(storage, "notes with 'quotes' & ünïcode.txt"), 'hello\n');
  writeFileSync(join(storage, 'private.key'), 'secret', { mode: 0o600 });
  symlinkSync('uploads/2025/photo.jpg', join(storage, 'latest.jpg'));

  await ctx.rabbitmq.request('PUT', `/api/vhosts/${database}`, {});
  await ctx.rabbitmq.request('PUT', `/api/queues/${database}/orders`, {
    durable: true,
    arguments: { 'x-max-length': 1000 },
  });
  await ctx.rabbitmq.request('PUT', `/api/exchanges/${database}/events`, { type: 'topic', durable: true });
  await ctx.rabbitmq.request('POST', `/api/bindings/${database}/e/events/q/orders`, { routing_key: 'order.*' });
  await ctx.rabbitmq.request('PUT', `/api/policies/${database}/ttl`, {
    pattern: '^orders$',
    definition: { 'message-ttl': 60000 },
  });
}

t.before(async () => {
  await ensureDebianImages(env, work, ['mariadb', 'rabbitmq']);
  const pwFile = join(work, 'mariadb-root-password');
  const rabbitPw = join(work, 'rabbitmq-password');
  writeFileSync(pwFile, 'root-pw-for-backup-tests', { mode: 0o600 });
  writeFileSync(rabbitPw, 'rabbit-pw-for-backup-tests', { mode: 0o600 });
  await Promise.all([
    startServer(docker, MARIADB, 'minicloud/mariadb:bookworm', {
      Env: ['MARIADB_ROOT_PASSWORD_FILE=/run/secrets/mariadb-root-password'],
      Cmd: ['mariadbd', '--innodb-buffer-pool-size=64M', '--performance-schema=off'],
      HostConfig: { Binds: [`${pwFile}:/run/secrets/mariadb-root-password:ro`] },
    }),
    // As the management stack runs it: the password from the swarm secret's path.
    startServer(docker, RABBITMQ, 'minicloud/rabbitmq:bookworm', {
      Env: ['RABBITMQ_DEFAULT_USER=minicloud'],
      Entrypoint: [
        '/bin/sh',
        '-c',
        'RABBITMQ_DEFAULT_PASS="$(cat /run/secrets/rabbitmq-password)" && export RABBITMQ_DEFAULT_PASS && exec docker-entrypoint.sh rabbitmq-server',
      ],
      HostConfig: { Binds: [`${rabbitPw}:/run/secrets/rabbitmq-password:ro`] },
    }),
  ]);
  mkdirSync(join(dataDir, 'storage/shop'), { recursive: true });
  ctx = await backupContext(dataDir, { docker, mariadb: { container: MARIADB }, rabbitmq: { container: RABBITMQ } });
  await waitFor('MariaDB', async () => ((await sql('SELECT 1'))[0]?.[0] === '1' ? true : undefined), 90_000);
  await waitFor(
    'RabbitMQ management',
    async () => ((await ctx.rabbitmq.request('GET', '/api/overview')).status === 200 ? true : undefined),
    120_000,
  );
});

t.teardown(async () => {
  await removeContainer(docker, MARIADB);
  await removeContainer(docker, RABBITMQ);
  rmSync(work, { recursive: true, force: true });
});

let backup: BackupEntry;
let before: { db: Record<string, string>; files: string[]; defs: string };

t.test('an app writes rows and files; back up; destroy the data; restore; identical', async (t) => {
  const storage = join(dataDir, 'storage/shop');
  await seedApp('shop', storage);
  before = {
    db: await contents('shop'),
    files: tree(storage),
    defs: definitionsOf(await ctx.rabbitmq.exportVhost('shop')),
  };
  t.match(before.db['objects'], 'routine add_customer, trigger orders_default, view big_orders');

  const started = Date.now();
  backup = await createAppBackup(ctx, 'shop', { parts: ['database', 'storage', 'messagebus'] });
  t.comment(`backup took ${Date.now() - started} ms`);
  t.same(readdirSync(backup.dir).sort(), ['backup.json', 'database.sql.gz', 'messagebus.json', 'storage.tar.gz']);
  const database = backup.manifest.parts.find((p) => p.name === 'database')!;
  t.same(database.tables, [
    { name: 'customers', rows: 52 },
    { name: 'empty_table', rows: 0 },
    { name: 'orders', rows: 5000 + TRICKY.length },
  ]);
  t.match(backup.manifest.tools, {
    'mariadb-dump': /mariadb-dump\s+Ver/,
    'mariadb-server': /MariaDB/,
    rabbitmq: /^3\./,
  });
  t.match(
    backup.manifest.parts.find((p) => p.name === 'storage'),
    { files: 3 },
  );
  t.match(
    backup.manifest.parts.find((p) => p.name === 'messagebus'),
    { vhost: 'shop', queues: 1, exchanges: 1 },
  );

  // Destroy everything the app had.
  await ctx.mariadb.dropDatabase('shop');
  rmSync(storage, { recursive: true });
  mkdirSync(storage);
  writeFileSync(join(storage, 'written-after-the-backup.txt'), 'gone after the restore');
  t.equal((await ctx.rabbitmq.request('PUT', '/api/vhosts/shop', {})).status < 300, true);
  await ctx.rabbitmq.request('DELETE', '/api/vhosts/shop');
  t.equal((await ctx.rabbitmq.request('GET', '/api/vhosts/shop')).status, 404, 'the vhost is gone');

  const result = await restoreAppBackup(ctx, 'shop', backup.id);
  t.same(result.parts, ['database', 'storage', 'messagebus']);
  t.same(await contents('shop'), before.db, 'every table, row and object is back, byte for byte');
  t.same(tree(storage), before.files, 'every file is back (content, mode, links); the newer one is gone');
  t.equal(
    definitionsOf(await ctx.rabbitmq.exportVhost('shop')),
    before.defs,
    'queues, exchanges, bindings, policies are back',
  );
});

t.test('restore into a new app', async (t) => {
  const result = await restoreAppBackup(ctx, 'shop', 'latest', { into: 'shop-copy' });
  t.equal(result.into, 'shop-copy');
  t.same(await contents('shop_copy'), before.db, 'the new app has the same rows');
  t.same(tree(join(dataDir, 'storage/shop-copy')), before.files);
  t.equal(definitionsOf(await ctx.rabbitmq.exportVhost('shop_copy')), before.defs);
  t.same(await contents('shop'), before.db, 'the original app is untouched');
});

t.test('the test restore loads the dump into a scratch database, checks it, drops it', async (t) => {
  const result = await verifyBackup(ctx, 'shop', backup.id);
  t.same(result.tables, backup.manifest.parts[0]!.tables);
  t.same(await sql("SHOW DATABASES LIKE 'minicloud_verify%'"), [], 'the scratch database is dropped');
  t.match(await appBackupStatus(ctx, 'shop'), { state: 'ok', lastVerify: { ok: true, id: backup.id } });

  // A backup.json whose counts do not match the dump (checksums intact) fails loudly.
  const manifest = (await readBackupManifest(backup.dir))!;
  const tampered = structuredClone(manifest);
  tampered.parts[0]!.tables![2]!.rows += 1;
  await writeBackupManifest(backup.dir, tampered);
  const error = await verifyBackup(ctx, 'shop', backup.id).catch((e: unknown) => e);
  t.match(error, {
    code: 'MC_BACKUP_VERIFY',
    message: /tables\.orders backup\.json says 5012 rows, the restore has 5011/,
    details: [{ path: 'tables.orders' }],
  });
  t.same(await sql("SHOW DATABASES LIKE 'minicloud_verify%'"), [], 'dropped after a failure too');
  t.match(await appBackupStatus(ctx, 'shop'), { state: 'failing', lastVerify: { ok: false } });
  await writeBackupManifest(backup.dir, manifest);
  await verifyBackup(ctx, 'shop', backup.id);
});

t.test('a backup whose file was altered is refused at restore', async (t) => {
  await sql("INSERT INTO customers VALUES (999999, 'written after the backup')", 'shop');
  const dump = join(backup.dir, 'database.sql.gz');
  const original = readFileSync(dump);
  const altered = Buffer.from(original);
  altered[Math.floor(altered.length / 2)] = altered[Math.floor(altered.length / 2)]! ^ 0x20;
  writeFileSync(dump, altered);
  const error = await restoreAppBackup(ctx, 'shop', backup.id).catch((e: unknown) => e);
  t.match(error, { code: 'MC_BACKUP_DAMAGED', message: /part database \(database\.sql\.gz\) has sha256 .* refused/ });
  t.same(
    await sql('SELECT name FROM customers WHERE id = 999999', 'shop'),
    [['written after the backup']],
    'nothing was touched',
  );
  writeFileSync(dump, original);
});

t.test('the CLI backs up, lists and verifies on the manager; exit codes', async (t) => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
  };
  const flags = ['--data-dir', dataDir, '--mariadb-container', MARIADB, '--rabbitmq-container', RABBITMQ];
  const create = io();
  const code = await cli(
    ['node', 'minicloud', 'backup', 'create', 'shop', '--parts', 'database,storage,messagebus', '--verify', ...flags],
    create.io,
  );
  t.equal(code, 0, create.err.join('\n'));
  t.match(
    create.out.join('\n'),
    /backup shop\/\S+: database 3 tables 5064 rows .*storage 3 files.*messagebus 1 queues\nverified: 3 tables/,
  );
  const ls = io();
  t.equal(await cli(['node', 'minicloud', 'backup', 'ls', 'shop', '--json', ...flags], ls.io), 0);
  t.equal((JSON.parse(ls.out.join('')) as { backups: unknown[] }).backups.length, 2);
  const verify = io();
  t.equal(await cli(['node', 'minicloud', 'backup', 'verify', 'shop', ...flags], verify.io), 0, verify.err.join('\n'));
  t.match(verify.out.join('\n'), /verified shop\/\S+: checksums match; 3 tables, 5064 rows restored as recorded/);

  // With the app's record, the parts come from its needs, and a restore backs up first.
  mkdirSync(join(dataDir, 'config/apps/shop'), { recursive: true });
  writeFileSync(
    join(dataDir, 'config/apps/shop/app.json'),
    JSON.stringify({ name: 'shop', needs: ['database', 'messagebus', 'storage'] }),
  );
  const plain = io();
  t.equal(await cli(['node', 'minicloud', 'backup', 'create', 'shop', ...flags], plain.io), 0, plain.err.join('\n'));
  const id = /^backup shop\/(\S+): database 3 tables 5064 rows .*storage 3 files.*messagebus 1 queues/.exec(
    plain.out[0] ?? '',
  )?.[1];
  t.ok(id, `every part the app needs: ${plain.out[0]}`);
  await sql('DELETE FROM customers WHERE id = 999999', 'shop');
  const restore = io();
  t.equal(
    await cli(['node', 'minicloud', 'backup', 'restore', 'shop', id!, ...flags], restore.io),
    0,
    restore.err.join('\n'),
  );
  t.match(
    restore.out.join('\n'),
    /the data it replaced is in backup shop\/\S+\nrestored shop\/\S+ into shop: database, storage, messagebus \(3 tables, 5064 rows, counts match backup.json\) \(3 files\)/,
  );
  t.same(
    await sql('SELECT name FROM customers WHERE id = 999999', 'shop'),
    [['written after the backup']],
    'the row is back',
  );

  const wrong = io();
  t.equal(
    await cli(
      [
        'node',
        'minicloud',
        'backup',
        'create',
        'shop',
        '--parts',
        'database',
        ...flags,
        '--mariadb-container',
        'no-such-container',
      ],
      wrong.io,
    ),
    1,
  );
  t.match(wrong.err.join('\n'), /error \(MC_ENGINE\)/);
});
