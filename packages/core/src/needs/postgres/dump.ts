import type { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../../engine/container-exec.js';
import { ServiceContainer } from '../../backup/service-container.js';
import type { TableRows } from '../../backup/manifest.js';
import { MinicloudError } from '../../errors.js';
import type { Sensitive } from '../../sensitive.js';
import {
  databaseStatements,
  pgIdentifier,
  pgLiteral,
  schemaStatements,
  statementText,
  type PostgresNames,
} from './sql.js';

// The shared PostgreSQL as the backup sees it: pg_dump and psql run inside the server's own
// container (exec through the Engine API, engine/container-exec.ts), as the OS user postgres over the
// local socket, so they match the server's version and need no network path from this process.
//
// The local socket admits the OS user postgres without a password (peer in the Debian image's
// pg_hba.conf; the official image trusts local connections). A password, if one is configured
// here, is handed to the client as PGPASSWORD in the exec's own environment or read inside the
// container from the swarm secret: never on a command line, which `ps` and the exec's inspect
// output would show.
//
// A dump is plain SQL without owners or privileges (--no-owner --no-acl), gzipped in the
// container as MariaDB's is; it is loaded as the app's role (SET ROLE), so everything it
// creates belongs to that role whichever app it came from.

export interface PostgresTarget {
  /** Container id or name; default: the running task of `service` on this node. */
  container?: string;
  /** Default minicloud_postgres. */
  service?: string;
  /** The superuser's password, if local connections ask for one; else read from passwordFile if there. */
  password?: Sensitive<string>;
  /** Default /run/secrets/postgres-password (a missing file is fine: peer needs none). */
  passwordFile?: string;
}

export const POSTGRES_SERVICE = 'minicloud_postgres';
export const POSTGRES_PASSWORD_FILE = '/run/secrets/postgres-password';

const DATABASE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

function checkDatabase(name: string): string {
  if (!DATABASE_NAME.test(name))
    throw new MinicloudError('MC_APP_NAME_INVALID', `${JSON.stringify(name)} cannot name a database`);
  return name;
}

export class PostgresDumpClient {
  readonly #where: ServiceContainer;

  constructor(
    readonly docker: Docker,
    readonly target: PostgresTarget = {},
  ) {
    this.#where = new ServiceContainer(docker, target, POSTGRES_SERVICE);
  }

  /**
   * Runs a PostgreSQL client program as the OS user postgres, with the password supplied as
   * described above; `shell`, if given, is a bash snippet that runs the program as "$@".
   */
  async run(argv: string[], io: { stdin?: Readable; stdout?: Writable } = {}, shell?: string): Promise<ExecResult> {
    const command = shell ? ['bash', '-c', shell, 'mc', ...argv] : argv;
    const password = this.target.password;
    const spec = password
      ? { cmd: command, env: [`PGPASSWORD=${password.reveal()}`] }
      : {
          cmd: [
            'bash',
            '-c',
            'if [ -r "$0" ]; then PGPASSWORD="$(cat -- "$0")"; export PGPASSWORD; fi; exec "$@"',
            this.target.passwordFile ?? POSTGRES_PASSWORD_FILE,
            ...command,
          ],
        };
    return this.#where.exec({ ...spec, user: 'postgres', ...io });
  }

  /** Runs SQL in `database` (default postgres) and returns the rows (tab-separated columns); MC_POSTGRES on an error. */
  async query(sql: string, database = 'postgres'): Promise<string[][]> {
    const result = await this.run([
      'psql',
      '--no-psqlrc',
      '--no-align',
      '--tuples-only',
      '--field-separator=\t',
      '--set=ON_ERROR_STOP=1',
      `--dbname=${checkDatabase(database)}`,
      `--command=${sql}`,
    ]);
    if (result.exitCode !== 0) throw new MinicloudError('MC_POSTGRES', `psql: ${lastLine(result.stderr)}`);
    return result.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
  }

  /**
   * Streams a consistent dump of one database to `out`, gzipped in the container: pg_dump
   * reads one snapshot (a repeatable-read transaction) and does not block the app's writes.
   */
  async dumpGzip(database: string, out: Writable, level = 6): Promise<void> {
    checkDatabase(database);
    if (!Number.isInteger(level) || level < 1 || level > 9)
      throw new MinicloudError('MC_BACKUP', `gzip level ${level} is not 1-9`);
    const result = await this.run(
      ['pg_dump', '--no-owner', '--no-acl', '--encoding=UTF8', `--dbname=${database}`],
      { stdout: out },
      `set -o pipefail; "$@" | gzip -c -${level}`,
    );
    if (result.exitCode !== 0) {
      throw new MinicloudError(
        'MC_BACKUP',
        `pg_dump ${database} exited ${result.exitCode}: ${lastLine(result.stderr)}`,
      );
    }
  }

  /**
   * Feeds a gzipped dump into a database in one transaction (all or nothing), as `role` when
   * given so that what it creates belongs to that role; the database must exist.
   */
  async loadGzip(database: string, gzipped: Readable, role?: string): Promise<void> {
    checkDatabase(database);
    const result = await this.run(
      [
        'psql',
        '--no-psqlrc',
        '--quiet',
        // The dump's SELECTs (set_config, setval) would only fill the collected output.
        '--output=/dev/null',
        '--set=ON_ERROR_STOP=1',
        '--single-transaction',
        `--dbname=${database}`,
        ...(role === undefined ? [] : [`--command=SET ROLE ${pgIdentifier(checkDatabase(role))}`]),
        '--file=-',
      ],
      { stdin: gzipped },
      'set -o pipefail; gunzip -c | "$@"',
    );
    if (result.exitCode !== 0) {
      throw new MinicloudError(
        'MC_BACKUP',
        `loading into ${database} failed (exit ${result.exitCode}): ${lastLine(result.stderr)}`,
      );
    }
  }

  /**
   * Drops the app's database and makes it again, empty, owned by its role and closed to
   * others as provisioning makes it (the role must exist): what a restore loads into.
   */
  async recreateDatabase(names: PostgresNames): Promise<void> {
    checkDatabase(names.database);
    await this.query(`DROP DATABASE IF EXISTS ${pgIdentifier(names.database)} WITH (FORCE)`);
    for (const s of databaseStatements(names, undefined)) await this.query(statementText(s));
    for (const s of schemaStatements(names, true)) await this.query(statementText(s), names.database);
  }

  /** A scratch database owned by the superuser (for a test restore); dropped first if it exists. */
  async createScratchDatabase(database: string): Promise<void> {
    await this.dropDatabase(database);
    await this.query(`CREATE DATABASE ${pgIdentifier(checkDatabase(database))} TEMPLATE template0 ENCODING 'UTF8'`);
    await this.query(`REVOKE ALL ON DATABASE ${pgIdentifier(database)} FROM PUBLIC`);
  }

  async dropDatabase(database: string): Promise<void> {
    await this.query(`DROP DATABASE IF EXISTS ${pgIdentifier(checkDatabase(database))} WITH (FORCE)`);
  }

  async databaseExists(database: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT count(*) FROM pg_database WHERE datname = ${pgLiteral(checkDatabase(database))}`,
    );
    return rows[0]?.[0] === '1';
  }

  /** Exact row counts (count(*)) of every table outside the system schemas, by `schema.table`. */
  async rowCounts(database: string): Promise<TableRows[]> {
    // query_to_xml runs one count per table inside this one statement; names travel as hex.
    const rows = await this.query(ROW_COUNTS_SQL, checkDatabase(database));
    return rows
      .map(([hex, count]) => ({ name: Buffer.from(hex ?? '', 'hex').toString('utf8'), rows: Number(count) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** pg_dump's and the server's versions, for the backup manifest. */
  async versions(): Promise<{ dump: string; server: string }> {
    const dump = await this.run(['pg_dump', '--version']);
    const [[server]] = (await this.query('SELECT version()')) as [[string]];
    return { dump: dump.stdout.trim(), server };
  }
}

const ROW_COUNTS_SQL = `SELECT encode(convert_to(n.nspname || '.' || c.relname, 'UTF8'), 'hex'),
  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1`;

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l));
  return lines.slice(-3).join(' | ') || 'no error output';
}
