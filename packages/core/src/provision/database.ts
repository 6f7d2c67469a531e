import { createHash } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import type { DatabaseAdmin } from '../apps/ports.js';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import {
  grantRepairPlan,
  grantRepairStatements,
  grantStatement,
  sqlAccount,
  type DbGrantRow,
  type GrantRepair,
} from './grants.js';
import { appOfProvisionName, provisionName, sqlIdentifier } from './names.js';
import { withAdminConnection, type AdminServer } from '../util/admin-connection.js';
import { isUnreachable } from '../util/service-wait.js';

// One shared MariaDB: per app a database and a user of the same name with every privilege on
// that database and nothing else (the grant escapes the `_` of the name: see grants.ts). The
// admin connection is short-lived (one per call): these are rare operations and an idle admin
// connection would only hold a secret open.

export interface MariaDbAdminOptions {
  /** Where the platform reaches the server, e.g. `mariadb` from the API container. */
  host: string;
  port?: number;
  /** An account allowed to create databases and users and to grant (root@'%' on the platform). */
  user: string;
  password: Sensitive<string>;
  /** What apps are told (DATABASE_URL), on the services network. */
  appHost?: string;
  appPort?: number;
  connectTimeoutMs?: number;
  /** How long a call waits for a server that cannot be reached (its task restarting); default 60 s. */
  unavailableWaitMs?: number;
}

/** The server's own schemas and accounts: an app named after one must not get it. */
const RESERVED = ['mysql', 'information_schema', 'performance_schema', 'sys', 'test', 'root'];

type Run = (what: string, sql: string, values?: unknown[]) => Promise<unknown[]>;

/** A repaired grant, and the other databases that exist and its old pattern matched. */
export interface RepairedGrant extends GrantRepair {
  alsoMatched: string[];
}

/**
 * MariaDB cannot take a placeholder in IDENTIFIED BY (not even as a prepared statement), so
 * the password travels as its mysql_native_password hash, `*` and 40 hex digits: the plain
 * text never enters SQL text, logs or error messages, and no character of it can end a
 * literal whatever the sql_mode. It is the value `PASSWORD(pw)` computes on the server.
 */
export function nativePasswordHash(password: Sensitive<string>): Sensitive<string> {
  const sha1 = (data: Buffer) => createHash('sha1').update(data).digest();
  const digest = sha1(sha1(Buffer.from(password.reveal(), 'utf8')));
  return new Sensitive(`*${digest.toString('hex').toUpperCase()}`);
}

export class MariaDbAdmin implements DatabaseAdmin {
  readonly appHost: string;
  readonly appPort: number;
  readonly #options: MariaDbAdminOptions;

  constructor(options: MariaDbAdminOptions) {
    this.#options = options;
    this.appHost = options.appHost ?? 'mariadb';
    this.appPort = options.appPort ?? 3306;
  }

  /** The app's database and user name (`my-shop` -> `my_shop`); throws for an unusable name. */
  names(app: string): { database: string; user: string } {
    const name = provisionName(app, this.#reserved);
    return { database: name, user: name };
  }

  get #reserved(): string[] {
    return [...RESERVED, this.#options.user];
  }

  async ensure(app: string, password: Sensitive<string>): Promise<{ database: string; user: string }> {
    const { database, user } = this.names(app);
    if (password.reveal() === '') throw new MinicloudError('MC_DATABASE', `refusing an empty password for app ${app}`);
    const hash = nativePasswordHash(password);
    const account = sqlAccount(user, '%');
    await this.#session([password, hash], async (run) => {
      await run('create database', `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)}`);
      // Created with its password at once (no moment without one), then re-keyed in case it
      // existed: ensure is also how a password is rotated.
      await run('create user', `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY PASSWORD ?`, [hash.reveal()]);
      await run('set password', `ALTER USER ${account} IDENTIFIED BY PASSWORD ?`, [hash.reveal()]);
      await run('grant', grantStatement(database, account));
      // An app added again over the database it kept may still have an earlier version's grant.
      await this.#repair(run, user);
    });
    return { database, user };
  }

  /**
   * Replaces the wildcard grants earlier versions gave apps' users (`my_shop`.*, which also
   * matched `myxshop`) with exact ones, and ends those users' sessions that sit in another
   * database: a session keeps the rights it had on its current database when it entered it.
   * The apps keep every right on their own database throughout. Idempotent; resolves what
   * it repaired (nothing, once done), with the existing databases each old grant also
   * matched: the app could read and write them, and may have created them before their app
   * was added, for the operator to check.
   */
  async repairGrants(): Promise<RepairedGrant[]> {
    // No wait: its caller tries again later by itself (and must not be held up at shutdown).
    return this.#session([], (run) => this.#repair(run), 0);
  }

  /** The repair of grants.ts's plan, for every account or for `user`'s. */
  async #repair(run: Run, user?: string): Promise<RepairedGrant[]> {
    const rows = (
      (await run(
        'read the database grants',
        `SELECT User AS user, Host AS host, Db AS db, Grant_priv = 'Y' AS grantOption FROM mysql.db${user === undefined ? '' : ' WHERE User = ?'} ORDER BY User, Host, Db`,
        user === undefined ? [] : [user],
      )) as (Omit<DbGrantRow, 'grantOption'> & { grantOption: number })[]
    ).map((r) => ({ ...r, grantOption: Number(r.grantOption) === 1 }));
    const plan = grantRepairPlan(rows, (u) => appOfProvisionName(u, this.#reserved) !== undefined);
    const repaired: RepairedGrant[] = [];
    for (const repair of plan) {
      // LIKE takes the same pattern language as a grant (BINARY: grants compare case and all).
      const matched = (await run(
        'list the databases an old grant matched',
        'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE BINARY ? AND SCHEMA_NAME <> ? ORDER BY SCHEMA_NAME',
        [repair.revoke, repair.database],
      )) as { name: string }[];
      for (const sql of grantRepairStatements(repair)) await run(`repair the grant of ${repair.user}`, sql);
      await this.#endSessions(run, repair.user, repair.database);
      repaired.push({ ...repair, alsoMatched: matched.map((m) => m.name) });
    }
    return repaired;
  }

  /** Kills `user`'s sessions, but for those in `keep` (or in no database, or information_schema). */
  async #endSessions(run: Run, user: string, keep?: string): Promise<void> {
    const sessions =
      keep === undefined
        ? await run('list sessions', 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user])
        : await run(
            'list sessions',
            "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND DB IS NOT NULL AND DB NOT IN (?, 'information_schema')",
            [user, keep],
          );
    for (const { id } of sessions as { id: number }[]) {
      // A session that ended meanwhile is fine.
      await run('kill session', 'KILL CONNECTION ?', [id]).catch(() => undefined);
    }
  }

  async drop(app: string): Promise<void> {
    const { database, user } = this.names(app);
    await this.#session([], async (run) => {
      // The user first, so no new session starts; then its open sessions, which a dropped
      // user would otherwise keep; then the data.
      await run('drop user', `DROP USER IF EXISTS ${sqlAccount(user, '%')}`);
      await this.#endSessions(run, user);
      await run('drop database', `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}`);
    });
  }

  /** Whether the app's database or its user is there (kept by an earlier remove, or left by a failed purge). */
  async exists(app: string): Promise<boolean> {
    const { database, user } = this.names(app);
    return this.#session([], async (run) => {
      const rows = (await run(
        'look up database and user',
        'SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?) + (SELECT COUNT(*) FROM mysql.user WHERE User = ?) AS n',
        [database, user],
      )) as { n: number }[];
      return Number(rows[0]?.n ?? 0) > 0;
    });
  }

  /**
   * Whether any app's database or user is on the server (kept data included): the platform
   * stops a shared service no app needs only when this is false. Apps' users are the ones at
   * host `%` (the server's own are at localhost), other than the admin.
   */
  async holdsShares(): Promise<boolean> {
    const reserved = this.#reserved;
    return this.#session([], async (run) => {
      const marks = reserved.map(() => '?').join(', ');
      const rows = (await run(
        "look for apps' databases and users",
        `SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${marks})) + (SELECT COUNT(*) FROM mysql.user WHERE Host = '%' AND User NOT IN (${marks})) AS n`,
        [...reserved, ...reserved],
      )) as { n: number }[];
      return Number(rows[0]?.n ?? 0) > 0;
    });
  }

  get #server(): string {
    return `${this.#options.host}:${this.#options.port ?? 3306}`;
  }

  /**
   * One admin session; a server that cannot be reached (restarting) is waited for, and the
   * whole session tried again: every session here is idempotent (IF [NOT] EXISTS, re-keying).
   */
  #session<T>(secrets: Sensitive<string>[], work: (run: Run) => Promise<T>, waitMs?: number): Promise<T> {
    const options = this.#options;
    const server: AdminServer<Connection> = {
      service: `MariaDB at ${this.#server}`,
      kind: 'database server',
      address: this.#server,
      user: options.user,
      secrets: [options.password, ...secrets],
      code: 'MC_DATABASE',
      unreachable: isUnreachable,
      waitMs: waitMs ?? options.unavailableWaitMs,
      open: async () => {
        const connection = await createConnection({
          host: options.host,
          port: options.port ?? 3306,
          user: options.user,
          password: options.password.reveal(),
          connectTimeout: options.connectTimeoutMs ?? 10_000,
        });
        // The connection's own errors (a dropped socket) must not crash the process.
        connection.on('error', () => undefined);
        return connection;
      },
      close: (connection) => connection.end().catch(() => connection.destroy()),
    };
    return withAdminConnection(server, (connection, call) =>
      work((what, sql, values) =>
        call(what, async () => {
          // query(): the driver formats `?` client side; only validated names and hex reach it.
          const [rows] = await connection.query(sql, values);
          return Array.isArray(rows) ? rows : [];
        }),
      ),
    );
  }
}
