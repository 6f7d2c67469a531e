import { createReadStream } from 'node:fs';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { TableRows } from './manifest.js';
import type { MariaDbClient } from './mariadb.js';

// A dump loaded into a database and its tables checked against what backup.json recorded:
// what both a restore and a test restore (verify) prove a database part with.

/** The differences between the manifest's tables and a restored database's (empty when equal). */
export function compareTables(expected: readonly TableRows[], actual: ReadonlyMap<string, number>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const want = new Map(expected.map((t) => [t.name, t.rows]));
  for (const [name, rows] of want) {
    const got = actual.get(name);
    if (got === undefined)
      details.push({ path: `tables.${name}`, message: `is in backup.json (${rows} rows) but was not restored` });
    else if (got !== rows)
      details.push({ path: `tables.${name}`, message: `backup.json says ${rows} rows, the restore has ${got}` });
  }
  for (const [name, rows] of actual) {
    if (!want.has(name))
      details.push({ path: `tables.${name}`, message: `was restored (${rows} rows) but is not in backup.json` });
  }
  return details;
}

/** Loads a gzipped dump into `database` (which exists) and checks its tables against `expected`. */
export async function loadAndCheck(
  mariadb: MariaDbClient,
  database: string,
  dumpFile: string,
  expected: readonly TableRows[],
  what: string,
): Promise<TableRows[]> {
  await mariadb.loadGzip(database, createReadStream(dumpFile));
  const actual = await mariadb.rowCounts(database);
  const details = compareTables(expected, actual);
  if (details.length > 0) {
    throw new MinicloudError(
      'MC_BACKUP_VERIFY',
      `${what}: the restored database does not match backup.json: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
    );
  }
  return [...actual].map(([name, rows]) => ({ name, rows }));
}
