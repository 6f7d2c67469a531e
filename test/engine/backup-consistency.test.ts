import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  appBackupStatus,
  backupContext,
  createAppBackup,
  pruneBackups,
  restoreAppBackup,
  type BackupContext,
} from '@minicloud/core';
import { ensureDebianImages, removeContainer, startServer } from '../helpers/backup-servers.js';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';

// Issue 7: a backup started while the app writes is consistent (one snapshot), an
// interrupted one is never taken for a complete one, and retention deletes exactly what it
// should, on a real MariaDB container (the platform's Debian image) reached through exec.

const env = engineEnv();
const docker = managerDocker(env);
const MARIADB = 'mc-backup-consistency-mariadb';
const work = mkdtempSync(join(tmpdir(), 'mc-backup-consistency-'));
const dataDir = join(work, 'data');
const SEED = 300_000;
let ctx: BackupContext;

async function sql(query: string, database = 'shop'): Promise<string[][]> {
  return ctx.mariadb.query(query, database);
}

async function count(query: string, database = 'shop'): Promise<number> {
  return Number((await sql(query, database))[0]?.[0]);
}

t.before(async () => {
  await ensureDebianImages(env, work, ['mariadb']);
  const pwFile = join(work, 'mariadb-root-password');
  writeFileSync(pwFile, 'root-pw-for-consistency-tests', { mode: 0o600 });
  await startServer(docker, MARIADB, 'minicloud/mariadb:bookworm', {
    Env: ['MARIADB_ROOT_PASSWORD_FILE=/run/secrets/mariadb-root-password'],
    // A fast writer: commits reach the log without an fsync each.
    Cmd: [
      'mariadbd',
      '--innodb-buffer-pool-size=64M',
      '--performance-schema=off',
      '--innodb-flush-log-at-trx-commit=2',
    ],
    HostConfig: { Binds: [`${pwFile}:/run/secrets/mariadb-root-password:ro`] },
  });
  mkdirSync(dataDir, { recursive: true });
  ctx = await backupContext(dataDir, { docker, mariadb: { container: MARIADB } });
  await waitFor('MariaDB', async () => ((await sql('SELECT 1', 'mysql'))[0]?.[0] === '1' ? true : undefined), 90_000);

  await ctx.mariadb.createDatabase('shop');
  for (const statement of [
    'CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(200), pad CHAR(100)) ENGINE=InnoDB',
    'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT NOT NULL, qty INT, KEY (order_id)) ENGINE=InnoDB',
    'CREATE TABLE totals (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB',
    'CREATE TABLE stop_flag (id INT) ENGINE=InnoDB',
    'INSERT INTO totals VALUES (1, 0)',
    `INSERT INTO orders SELECT seq, CONCAT('seed ', seq, ' it''s'), REPEAT('p', 100) FROM seq_1_to_${SEED}`,
    `INSERT INTO items SELECT seq, seq, 1 FROM seq_1_to_${SEED}`,
  ])
    await sql(statement);
  // The app: each transaction adds an order, its item and one to the total, until told to stop.
  await ctx.mariadb.load(
    'shop',
    Readable.from([
      `DELIMITER ;;
CREATE PROCEDURE writer() BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE (SELECT COUNT(*) FROM stop_flag) = 0 AND i < 5000000 DO
    START TRANSACTION;
    INSERT INTO orders (note, pad) VALUES (CONCAT('writer ', i, ' (it''s)'), 'x');
    INSERT INTO items (order_id, qty) VALUES (LAST_INSERT_ID(), 1);
    UPDATE totals SET n = n + 1 WHERE id = 1;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END;;
DELIMITER ;
`,
    ]),
  );
});

t.teardown(async () => {
  await removeContainer(docker, MARIADB);
  rmSync(work, { recursive: true, force: true });
});

t.test('a backup taken while the app writes is one consistent snapshot', async (t) => {
  const writing = sql('CALL writer()');
  try {
    await waitFor(
      'the writer',
      async () => ((await count('SELECT n FROM totals')) >= 500 ? true : undefined),
      60_000,
      100,
    );
    const before = await count('SELECT n FROM totals');
    const entry = await createAppBackup(ctx, 'shop', { parts: ['database'] });
    const after = await count('SELECT n FROM totals');
    t.comment(`writer transactions: ${before} before the backup, ${after} after it`);
    t.ok(after > before, 'the app kept writing while the dump ran');

    const rows = Object.fromEntries(entry.manifest.parts[0]!.tables!.map((x) => [x.name, x.rows]));
    t.equal(rows['items'], rows['orders'], 'backup.json: every order has its item (one snapshot, not two moments)');
    t.equal(rows['totals'], 1);
    t.ok(
      rows['orders']! >= SEED + before && rows['orders']! <= SEED + after,
      `the snapshot is from the backup's time (${rows['orders']! - SEED} writes)`,
    );

    // Restored elsewhere while the writer goes on: counts equal backup.json (restore checks it).
    const restored = await restoreAppBackup(ctx, 'shop', entry.id, { into: 'shop-check' });
    t.same(restored.tables, entry.manifest.parts[0]!.tables, 'restored row counts equal backup.json');
    const n = await count('SELECT n FROM totals', 'shop_check');
    t.equal(n, rows['orders']! - SEED, 'the total matches the orders in the same snapshot');
    t.equal(
      await count(
        'SELECT COUNT(*) FROM orders o LEFT JOIN items i ON i.order_id = o.id WHERE i.id IS NULL',
        'shop_check',
      ),
      0,
      'no order without its item',
    );
    t.equal(
      await count("SELECT COUNT(*) FROM orders WHERE note LIKE 'writer %(it''s)'", 'shop_check'),
      n,
      'the rows are the writer rows',
    );
  } finally {
    await sql('INSERT INTO stop_flag VALUES (1)');
    await writing;
  }
});

t.test('a backup killed mid-dump fails loudly and is never taken for a complete one', async (t) => {
  const complete = (await ctx.store.list('shop')).map((e) => e.id);
  const backup = createAppBackup(ctx, 'shop', { parts: ['database'] }).catch((e: unknown) => e);
  // Kill mariadb-dump inside the server's container once it runs (the image has no pkill).
  const killer = [
    'for i in $(seq 1 400); do',
    '  for p in /proc/[0-9]*; do',
    '    if [ "$(cat "$p/comm" 2>/dev/null)" = mariadb-dump ]; then sleep 0.2; kill -9 "${p#/proc/}" && echo killed && exit 0; fi',
    '  done; sleep 0.01',
    'done; exit 1',
  ].join('\n');
  const container = docker.getContainer(MARIADB);
  const exec = await container.exec({ Cmd: ['bash', '-c', killer], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise((resolve) => stream.on('end', resolve).resume());
  t.equal((await exec.inspect()).ExitCode, 0, 'mariadb-dump was killed while it ran');

  const error = await backup;
  t.match(error, {
    code: 'MC_BACKUP',
    message: /mariadb-dump shop exited 137|without mariadb-dump's "Dump completed" line/,
  });
  t.same(
    (await ctx.store.list('shop')).map((e) => e.id),
    complete,
    'no new complete backup',
  );
  t.same((await ctx.store.scan('shop')).incomplete, [], 'and no half folder left behind');
  t.match(await appBackupStatus(ctx, 'shop'), { state: 'failing', lastFailure: { code: 'MC_BACKUP' } });
});

t.test('retention on real backups deletes exactly what it should', async (t) => {
  // Real database backups at chosen times: Jan 1 03:00, Jan 2 03:00 and 15:00, Jan 3 03:00.
  const made: string[] = [];
  for (const time of ['2025-01-01T03:00:00Z', '2025-01-02T03:00:00Z', '2025-01-02T15:00:00Z', '2025-01-03T03:00:00Z']) {
    const at = new Date(time);
    const timed = await backupContext(dataDir, { docker, mariadb: { container: MARIADB }, now: () => at });
    made.push((await createAppBackup(timed, 'shop', { parts: ['database'] })).id);
  }
  // An interrupted backup's folder (no backup.json) from two days before.
  const interrupted = await ctx.store.create('shop', new Date('2025-01-01T10:00:00Z'));
  writeFileSync(join(interrupted.dir, 'database.sql.gz'), 'half');
  const newest = (await ctx.store.list('shop'))[0]!.id; // the consistency test's backup, today
  const all = (await ctx.store.list('shop')).map((e) => e.id);

  const dry = await pruneBackups(ctx.store, 'shop', { daily: 2, weekly: 1 }, new Date(), { dryRun: true });
  t.same(
    readdirSync(ctx.store.appDir('shop')).filter((n) => /^\d/.test(n)).length,
    all.length + 1,
    'a dry run deletes nothing',
  );

  const result = await pruneBackups(ctx.store, 'shop', { daily: 2, weekly: 1 }, new Date());
  t.same(result.plan, dry.plan);
  // daily 2: today's newest and Jan 3; weekly 1: this week's newest (today's, already kept).
  const keep = [newest, made[3]!];
  t.same(
    (await ctx.store.list('shop')).map((e) => e.id),
    keep,
    'kept: the newest of the 2 newest days',
  );
  t.same(
    result.plan.delete,
    all.filter((id) => !keep.includes(id)),
    'deleted: every other complete backup',
  );
  t.same(result.incomplete, [interrupted.id], 'and the interrupted folder');
  t.same(
    readdirSync(ctx.store.appDir('shop'))
      .filter((n) => /^\d/.test(n))
      .sort(),
    [...keep].sort(),
    'exactly those folders are left on disk',
  );
});
