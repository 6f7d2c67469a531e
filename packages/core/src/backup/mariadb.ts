import type { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';
import type { ExecResult } from '../engine/container-exec.js';
import { sqlIdentifier } from '../provision/names.js';
import { ServiceContainer } from './service-container.js';

// The shared MariaDB as the backup sees it: mariadb-dump and the mariadb client run inside
// the server's own container (exec through the Engine API), so they match the server's
// version and need no network path from this process to the database.
//
// The root password never appears on a command line (which `ps` in the container and the
// exec's inspect output would show) nor in a file: either the client reads it inside the
// container from the swarm secret the service already has (/run/secrets/...; the default,
// so the API process needs no copy of it), or it is passed as MYSQL_PWD in the exec's own
// environment, which only root in the MariaDB container could read and which the Engine
// API does not report back. No app can see either: apps run in other containers.

export interface MariaDbTarget {
  /** Container id or name; default: the running task of `service` on this node. */
  container?: string;
  /** Default minicloud_mariadb. */
  service?: string;
  /** Root password; default: read inside the container from passwordFile. */
  password?: Sensitive<string>;
  /** Default /run/secrets/mariadb-root-password (the management stack's swarm secret). */
  passwordFile?: string;
}

export const MARIADB_SERVICE = 'minicloud_mariadb';
export const MARIADB_PASSWORD_FILE = '/run/secrets/mariadb-root-password';

const APP_NAME = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** The database (and vhost) minicloud gives an app: its name with - as _, as provisioning names it. */
export function appResourceName(app: string): string {
  if (!APP_NAME.test(app)) {
    throw new MinicloudError(
      'MC_APP_NAME_INVALID',
      `app name ${JSON.stringify(app)} must be a DNS label of at most 40 characters`,
    );
  }
  return app.replace(/-/g, '_');
}

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Backtick-quotes a name we generated or checked (never user SQL). */
export function quoteDatabase(name: string): string {
  if (!DATABASE_NAME.test(name)) throw new MinicloudError('MC_APP_NAME_INVALID', `${name} cannot name a database`);
  return `\`${name}\``;
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export class MariaDbClient {
  readonly #where: ServiceContainer;

  constructor(
    readonly docker: Docker,
    readonly target: MariaDbTarget = {},
  ) {
    this.#where = new ServiceContainer(docker, target, MARIADB_SERVICE);
  }

  /**
   * Runs a MariaDB client program as root with the password supplied as described above;
   * `shell`, if given, is a bash snippet that runs the program as "$@" (a pipeline around it).
   */
  async run(argv: string[], io: { stdin?: Readable; stdout?: Writable } = {}, shell?: string): Promise<ExecResult> {
    const [program, ...args] = argv;
    const client = [program!, '--user=root', ...args];
    const command = shell ? ['bash', '-c', shell, 'mc', ...client] : client;
    const password = this.target.password;
    const spec = password
      ? { cmd: command, env: [`MYSQL_PWD=${password.reveal()}`] }
      : {
          cmd: [
            'bash',
            '-c',
            'MYSQL_PWD="$(cat -- "$0")" || exit 97; export MYSQL_PWD; exec "$@"',
            this.target.passwordFile ?? MARIADB_PASSWORD_FILE,
            ...command,
          ],
        };
    const result = await this.#where.exec({ ...spec, ...io });
    if (result.exitCode === 97) {
      throw new MinicloudError(
        'MC_BACKUP',
        `the MariaDB container has no root password file ${this.target.passwordFile ?? MARIADB_PASSWORD_FILE}`,
      );
    }
    return result;
  }

  /** Runs SQL and returns the rows (tab-separated columns); throws MC_DATABASE on an error. */
  async query(sql: string, database?: string): Promise<string[][]> {
    const result = await this.run([
      'mariadb',
      '--batch',
      '--skip-column-names',
      '--raw',
      `--execute=${sql}`,
      ...(database ? [database] : []),
    ]);
    if (result.exitCode !== 0) throw new MinicloudError('MC_DATABASE', `mariadb: ${lastLine(result.stderr)}`);
    return result.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
  }

  /**
   * Streams a consistent dump of one database to `out`, gzipped: one transaction's snapshot
   * (--single-transaction, InnoDB), with routines and triggers, rows as extended INSERTs.
   * gzip runs in the container, next to mariadb-dump: the Engine API then carries a fifth of
   * the bytes in large frames instead of mariadb-dump's many small writes (measured: the
   * plain stream ran at a third of mariadb-dump's speed), and this process never deflates.
   */
  async dumpGzip(database: string, out: Writable, level = 6): Promise<void> {
    quoteDatabase(database);
    if (!Number.isInteger(level) || level < 1 || level > 9)
      throw new MinicloudError('MC_BACKUP', `gzip level ${level} is not 1-9`);
    const result = await this.run(
      [
        'mariadb-dump',
        '--single-transaction',
        '--routines',
        '--triggers',
        '--default-character-set=utf8mb4',
        '--max-allowed-packet=64M',
        database,
      ],
      { stdout: out },
      `set -o pipefail; "$@" | gzip -c -${level}`,
    );
    if (result.exitCode !== 0) {
      throw new MinicloudError(
        'MC_BACKUP',
        `mariadb-dump ${database} exited ${result.exitCode}: ${lastLine(result.stderr)}`,
      );
    }
  }

  /** Feeds a gzipped dump into a database (gunzip runs in the container); the database must exist. */
  async loadGzip(database: string, gzipped: Readable): Promise<void> {
    await this.loadWith(database, gzipped, 'set -o pipefail; gunzip -c | "$@"');
  }

  /** Feeds plain SQL into a database; the database must exist. */
  async load(database: string, sql: Readable): Promise<void> {
    await this.loadWith(database, sql);
  }

  private async loadWith(database: string, input: Readable, shell?: string): Promise<void> {
    quoteDatabase(database);
    const result = await this.run(
      ['mariadb', '--default-character-set=utf8mb4', '--max-allowed-packet=64M', database],
      { stdin: input },
      shell,
    );
    if (result.exitCode !== 0) {
      throw new MinicloudError(
        'MC_BACKUP',
        `loading into ${database} failed (exit ${result.exitCode}): ${lastLine(result.stderr)}`,
      );
    }
  }

  async createDatabase(database: string): Promise<void> {
    await this.query(
      `CREATE DATABASE IF NOT EXISTS ${quoteDatabase(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
    );
  }

  /** Drops a database. Grants on it (mysql.db rows) are kept, so the app's user keeps its rights. */
  async dropDatabase(database: string): Promise<void> {
    await this.query(`DROP DATABASE IF EXISTS ${quoteDatabase(database)}`);
  }

  async databaseExists(database: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ${sqlString(database)}`,
    );
    return rows[0]?.[0] === '1';
  }

  /** Exact row counts (COUNT(*)) of every base table, by name. */
  async rowCounts(database: string): Promise<Map<string, number>> {
    const db = quoteDatabase(database);
    const names = (
      await this.query(
        `SELECT HEX(table_name) FROM information_schema.tables WHERE table_schema = ${sqlString(database)} AND table_type = 'BASE TABLE' ORDER BY table_name`,
      )
    ).map((row) => Buffer.from(row[0] ?? '', 'hex').toString('utf8'));
    const counts = new Map<string, number>();
    if (names.length === 0) return counts;
    const sql = names.map((name, i) => `SELECT ${i}, COUNT(*) FROM ${db}.${sqlIdentifier(name)}`).join(' UNION ALL ');
    for (const [index, count] of await this.query(sql)) counts.set(names[Number(index)]!, Number(count));
    return counts;
  }

  /** mariadb-dump's and the server's versions, for the manifest. */
  async versions(): Promise<{ dump: string; server: string }> {
    const dump = await this.run(['mariadb-dump', '--version']);
    const [[server]] = (await this.query('SELECT VERSION()')) as [[string]];
    return { dump: dump.stdout.trim(), server };
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^-+$/.test(l))
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l));
  return lines.slice(-3).join(' | ') || 'no error output';
}
