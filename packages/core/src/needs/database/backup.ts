import { randomBytes } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { MinicloudError } from '../../errors.js';
import { CountingStream } from '../../backup/hash.js';
import { loadAndCheck } from '../../backup/load-check.js';
import { appResourceName } from '../../backup/mariadb.js';
import { RowCountingStream } from '../../backup/sql-row-counter.js';
import { DEFAULT_GZIP_LEVEL, discard, writePart } from '../../backup/write-part.js';
import type { NeedBackup } from '../types.js';

// The database part: a single-snapshot dump streamed through gzip and sha256 to disk, its
// rows counted on the way; checked and restored by loading it and comparing every table's
// row count with backup.json.

const FILE = 'database.sql.gz';

export const databaseBackup: NeedBackup<'database'> = {
  part: 'database',
  file: FILE,
  rank: 10,

  async create({ ctx, app, progress }, path, tools) {
    const resource = appResourceName(app);
    progress(`dumping database ${resource}`);
    const versions = await ctx.mariadb.versions();
    tools['mariadb-dump'] = versions.dump;
    tools['mariadb-server'] = versions.server;
    // The gzipped dump goes to the file as it comes; a second branch unzips it to count rows.
    const rows = new RowCountingStream();
    const raw = new CountingStream();
    const file = await writePart(
      path,
      [],
      (head) => ctx.mariadb.dumpGzip(resource, head, ctx.gzipLevel ?? DEFAULT_GZIP_LEVEL),
      [createGunzip(), rows, raw, discard()],
    );
    const counted = rows.counter.result();
    if (!counted.completed) {
      throw new MinicloudError(
        'MC_BACKUP',
        `the dump of ${resource} ended without mariadb-dump's "Dump completed" line`,
      );
    }
    return {
      name: 'database',
      file: FILE,
      ...file,
      rawBytes: raw.bytes,
      database: resource,
      tables: [...counted.tables].map(([name, n]) => ({ name, rows: n })),
    };
  },

  async verify({ ctx, app, id, progress }, part, path) {
    const scratch = `minicloud_verify_${randomBytes(6).toString('hex')}`;
    progress(`loading the dump into scratch database ${scratch}`);
    await ctx.mariadb.createDatabase(scratch);
    try {
      const tables = await loadAndCheck(ctx.mariadb, scratch, path, part.tables ?? [], `test restore of ${app}/${id}`);
      return { tables };
    } finally {
      await ctx.mariadb.dropDatabase(scratch).catch(() => undefined);
    }
  },

  async restore({ ctx, app, id, into, progress }, part, path) {
    const resource = appResourceName(into);
    progress(`loading the dump into database ${resource}`);
    await ctx.mariadb.dropDatabase(resource);
    await ctx.mariadb.createDatabase(resource);
    const what = `restore of ${app}/${id} into ${into}`;
    return { tables: await loadAndCheck(ctx.mariadb, resource, path, part.tables ?? [], what) };
  },
};
