// bench/backup: dump and restore time of a large database through minicloud's backup path,
// and the peak memory of this process (which plays the API process) while it runs.
//
//   npm run bench:backup                  # 1 GiB of rows (the figure; a manual run)
//   npm run bench:backup -- --size-mb 256 # smaller, for a quick run (CI need not run this)
//
// A real MariaDB container (the platform's Debian image; build it with install.sh
// --images=debian, or let the engine tests build it) is filled with about SIZE of row data
// in bounded batches, then createAppBackup() dumps it (mariadb-dump in the container ->
// exec stream -> row counter -> gzip -> sha256 -> file) and restoreAppBackup() loads it into
// a new app's database (file -> gunzip -> exec stdin -> mariadb) and checks the row counts.
// Memory: the peak resident set (VmHWM, reset per phase through /proc/self/clear_refs) and
// samples of the RSS every 50 ms. "Flat" means the peak grew by less than 64 MiB over the
// idle process while a dump of SIZE went through it: nothing is buffered whole.
// Exits 1 when memory did not stay flat.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupContext, createAppBackup, dockerClient, restoreAppBackup } from '@minicloud/core';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const SIZE_MB = Number(arg('--size-mb', process.env.BENCH_BACKUP_SIZE_MB ?? '1024'));
const ROW_BYTES = 1000;
const ROWS = Math.round((SIZE_MB * MiB) / ROW_BYTES);
const BATCH = 100_000;
const FLAT_LIMIT_MIB = 64;
const CONTAINER = 'mc-bench-backup-mariadb';
const IMAGE = arg('--image', 'minicloud/mariadb:bookworm');
const GZIP_LEVEL = Number(arg('--gzip-level', '6'));

const docker = dockerClient();
const work = mkdtempSync(join(tmpdir(), 'mc-bench-backup-'));
const dataDir = join(work, 'data');

function status(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Runs `work` while sampling memory; returns its time, peak RSS (VmHWM) and the samples' spread. */
async function measured(label, work) {
  global.gc?.();
  writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
  const base = process.memoryUsage().rss;
  const samples = [];
  let buffers = 0;
  let heap = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    samples.push(m.rss);
    buffers = Math.max(buffers, m.arrayBuffers);
    heap = Math.max(heap, m.heapUsed);
  }, 50);
  const started = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  const peak = Math.max(status('VmHWM'), ...samples);
  return { label, seconds, base, peak, samples, buffers, heap, result };
}

function mib(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

async function removeContainer() {
  await docker
    .getContainer(CONTAINER)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

async function main() {
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    console.error(`bench/backup: no image ${IMAGE}: build it first (install/install.sh --images=debian, or npm test)`);
    process.exit(2);
  }
  await removeContainer();
  const pwFile = join(work, 'root-password');
  writeFileSync(pwFile, 'bench-root-password', { mode: 0o600 });
  const container = await docker.createContainer({
    name: CONTAINER,
    Image: IMAGE,
    Labels: { 'minicloud.test': 'bench-backup' },
    Env: ['MARIADB_ROOT_PASSWORD_FILE=/run/secrets/mariadb-root-password'],
    // As the management stack runs it (performance_schema off), with a larger buffer pool
    // and lazy log flushes so generating the rows is quick; dump and load are what we measure.
    Cmd: [
      'mariadbd',
      '--innodb-buffer-pool-size=256M',
      '--performance-schema=off',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-log-file-size=256M',
    ],
    HostConfig: { NetworkMode: 'none', Binds: [`${pwFile}:/run/secrets/mariadb-root-password:ro`] },
  });
  await container.start();
  const ctx = await backupContext(dataDir, { docker, mariadb: { container: CONTAINER }, gzipLevel: GZIP_LEVEL });
  for (let i = 0; ; i++) {
    try {
      await ctx.mariadb.query('SELECT 1');
      break;
    } catch (error) {
      if (i > 180) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  console.log(`bench/backup: generating ${ROWS} rows of ~${ROW_BYTES} bytes (~${SIZE_MB} MiB) in ${CONTAINER}`);
  const genStart = Date.now();
  await ctx.mariadb.createDatabase('bench');
  await ctx.mariadb.query(
    'CREATE TABLE events (id INT PRIMARY KEY, at DATETIME NOT NULL, kind VARCHAR(20) NOT NULL, payload VARCHAR(1000) NOT NULL) ENGINE=InnoDB',
    'bench',
  );
  for (let from = 1; from <= ROWS; from += BATCH) {
    const to = Math.min(ROWS, from + BATCH - 1);
    // Hex text of 1000 bytes a row: compresses about as well as typical app data (2-4x).
    await ctx.mariadb.query(
      `INSERT INTO events SELECT seq, '2025-01-01' + INTERVAL seq SECOND, ELT(1 + seq % 4, 'click', 'view', 'buy', 'it''s'), ` +
        `LEFT(CONCAT(SHA2(seq, 512), SHA2(seq + 1, 512), MD5(seq), REPEAT(SHA2(seq % 1000, 256), 12)), ${ROW_BYTES - 50}) FROM seq_${from}_to_${to}`,
      'bench',
    );
    process.stdout.write(`\r  ${to} / ${ROWS} rows (${Math.round((Date.now() - genStart) / 1000)} s)`);
  }
  await ctx.mariadb.query('ANALYZE TABLE events', 'bench');
  const [[dataBytes]] = await ctx.mariadb.query(
    "SELECT data_length FROM information_schema.tables WHERE table_schema = 'bench' AND table_name = 'events'",
  );
  console.log(
    `\n  generated in ${((Date.now() - genStart) / 1000).toFixed(0)} s; InnoDB data ${mib(Number(dataBytes))}`,
  );

  const idle = process.memoryUsage().rss;
  const dump = await measured('dump', () => createAppBackup(ctx, 'bench', { parts: ['database'] }));
  const part = dump.result.manifest.parts[0];
  const restore = await measured('restore', () =>
    restoreAppBackup(ctx, 'bench', dump.result.id, { into: 'bench-copy' }),
  );
  const restored = restore.result.tables.find((t) => t.name === 'events')?.rows;

  const rawMb = part.rawBytes / MiB;
  console.log('');
  console.log(
    `database: ${ROWS} rows; dump ${mib(part.rawBytes)} of SQL, ${mib(part.bytes)} gzipped (level ${GZIP_LEVEL})`,
  );
  console.log(
    `host: ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`process RSS when idle: ${mib(idle)}`);
  let flat = true;
  for (const phase of [dump, restore]) {
    const grew = phase.peak - phase.base;
    const ok = grew < FLAT_LIMIT_MIB * MiB;
    flat &&= ok;
    const min = Math.min(...phase.samples);
    const max = Math.max(...phase.samples);
    console.log(
      `${phase.label.padEnd(8)} ${phase.seconds.toFixed(1)} s (${(rawMb / phase.seconds).toFixed(1)} MiB/s of SQL); ` +
        `peak RSS ${mib(phase.peak)} (+${mib(grew)} over ${mib(phase.base)} before it; samples ${mib(min)}-${mib(max)}; ` +
        `peak JS heap ${mib(phase.heap)}, Buffers ${mib(phase.buffers)}): ` +
        `${ok ? 'flat' : 'NOT flat'}`,
    );
  }
  console.log(`restored rows: ${restored} (backup.json: ${part.tables.find((t) => t.name === 'events')?.rows})`);
  console.log(
    `memory stayed flat: ${flat ? 'yes' : 'NO'} (peak growth under ${FLAT_LIMIT_MIB} MiB while ${mib(part.rawBytes)} streamed through)`,
  );
  return flat;
}

let flat = false;
try {
  flat = await main();
} finally {
  if (!args.includes('--keep')) await removeContainer();
  rmSync(work, { recursive: true, force: true });
}
process.exit(flat ? 0 : 1);
