import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { MinicloudError } from '../../errors.js';
import type { BackupContext } from '../../backup/context.js';
import { CountingStream } from '../../backup/hash.js';
import { compareTables } from '../../backup/load-check.js';
import type { TableRows } from '../../backup/manifest.js';
import { DEFAULT_GZIP_LEVEL, discard, writePart } from '../../backup/write-part.js';
import { requireAdapter } from '../adapter.js';
import type { NeedBackup } from '../types.js';
import { CopyRowCounter } from './copy-row-counter.js';
import type { PostgresDumpClient } from './dump.js';
import { postgresNames } from './sql.js';

// The postgres part: pg_dump's plain SQL of the app's database (no owners, no privileges),
// gzipped in the server's container and streamed to disk, its rows counted on the way from the
// dump's COPY blocks; checked by loading it into a scratch database, restored by loading it
// into the app's database made again, as the app's role; both compare every table's row count
// with backup.json.

const FILE = 'postgres.sql.gz';
/** The superuser the platform's PostgreSQL runs with (the image's): names never go to it. */
const ADMIN_USER = 'postgres';

const client = (ctx: BackupContext): PostgresDumpClient => requireAdapter(ctx.postgres, 'postgres', 'PostgreSQL');

async function checkTables(
  pg: PostgresDumpClient,
  database: string,
  expected: readonly TableRows[],
  what: string,
): Promise<TableRows[]> {
  const actual = await pg.rowCounts(database);
  const details = compareTables(expected, new Map(actual.map((t) => [t.name, t.rows])));
  if (details.length > 0) {
    throw new MinicloudError(
      'MC_BACKUP_VERIFY',
      `${what}: the restored database does not match backup.json: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
    );
  }
  return actual;
}

export const postgresBackup: NeedBackup<'postgres'> = {
  part: 'postgres',
  file: FILE,
  rank: 40,

  async create({ ctx, app, progress }, path, tools) {
    const pg = client(ctx);
    const { database } = postgresNames(app, ADMIN_USER);
    progress(`dumping PostgreSQL database ${database}`);
    const versions = await pg.versions();
    tools['pg_dump'] = versions.dump;
    tools['postgresql-server'] = versions.server;
    const rows = new CopyRowCounter();
    const raw = new CountingStream();
    const file = await writePart(path, [], (head) => pg.dumpGzip(database, head, ctx.gzipLevel ?? DEFAULT_GZIP_LEVEL), [
      createGunzip(),
      rows,
      raw,
      discard(),
    ]);
    if (!rows.completed) {
      throw new MinicloudError('MC_BACKUP', `the dump of ${database} ended without pg_dump's "dump complete" line`);
    }
    return {
      name: 'postgres',
      file: FILE,
      ...file,
      rawBytes: raw.bytes,
      database,
      tables: [...rows.tables].map(([name, n]) => ({ name, rows: n })),
    };
  },

  async verify({ ctx, app, id, progress }, part, path) {
    const pg = client(ctx);
    const scratch = `minicloud_verify_${randomBytes(6).toString('hex')}`;
    progress(`loading the dump into scratch PostgreSQL database ${scratch}`);
    await pg.createScratchDatabase(scratch);
    try {
      await pg.loadGzip(scratch, createReadStream(path));
      return { tables: await checkTables(pg, scratch, part.tables ?? [], `test restore of ${app}/${id}`) };
    } finally {
      await pg.dropDatabase(scratch).catch(() => undefined);
    }
  },

  async restore({ ctx, app, id, into, progress }, part, path) {
    const pg = client(ctx);
    const names = postgresNames(into, ADMIN_USER);
    progress(`loading the dump into PostgreSQL database ${names.database}`);
    await pg.recreateDatabase(names);
    await pg.loadGzip(names.database, createReadStream(path), names.role);
    const what = `restore of ${app}/${id} into ${into}`;
    return { tables: await checkTables(pg, names.database, part.tables ?? [], what) };
  },
};
