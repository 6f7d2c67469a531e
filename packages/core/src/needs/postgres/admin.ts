import { Client } from 'pg';
import { MinicloudError } from '../../errors.js';
import { Sensitive } from '../../sensitive.js';
import { withAdminConnection, type AdminServer } from '../../util/admin-connection.js';
import { isUnreachable } from '../../util/service-wait.js';
import { checkScramPassword, scramSha256Verifier } from './scram.js';
import {
  DEFAULT_CONNECTION_LIMIT,
  dropStatements,
  ensureStatements,
  postgresNames,
  POSTGRES_RESERVED,
  rekeyStatement,
  schemaStatements,
  SHARE_STATE_SQL,
  statementText,
  type PostgresNames,
  type PostgresShareState,
  type Statement,
} from './sql.js';

// One shared PostgreSQL: per app a role and a database it owns (the rules are in sql.ts). Like
// MariaDbAdmin, one short-lived admin connection per call: these are rare operations, and an
// idle admin connection would only hold a secret open. Passwords reach the server only as
// SCRAM verifiers (scram.ts); values read back travel as bind parameters.

export interface PostgresAdminOptions {
  /** Where the platform reaches the server, e.g. `postgres` from the API container. */
  host: string;
  port?: number;
  /** A superuser (the image's `postgres`): creating roles and databases and revoking needs one. */
  user: string;
  password: Sensitive<string>;
  /** The database the admin connects to; default `postgres`. */
  adminDatabase?: string;
  /** What apps are told (DATABASE_URL), on the services network. */
  appHost?: string;
  appPort?: number;
  /** Sessions one app's role may hold at once; default 20. */
  connectionLimit?: number;
  connectTimeoutMs?: number;
  /** How long a call waits for a server that cannot be reached (its task restarting); default 60 s. */
  unavailableWaitMs?: number;
}

type Run = (statement: Statement, values?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Databases other than the server's own, and roles other than the admin and `pg_` ones. */
const HOLDS_SHARES_SQL =
  "SELECT (SELECT count(*) FROM pg_database WHERE NOT datname = ANY($1::text[])) + (SELECT count(*) FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> $2) AS n";

/**
 * The server's answers that mean "not there yet" rather than "no": 57P01-57P03 (shutting down,
 * crashed, starting up: what a restarting task says), 53300 (too many connections, brief).
 */
const RESTARTING = new Set(['57P01', '57P02', '57P03', '53300']);

function pgUnreachable(error: unknown): boolean {
  if (isUnreachable(error)) return true;
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && RESTARTING.has(e.code)) return true;
  // node-postgres' own words for a socket that closed or never answered in time.
  return typeof e.message === 'string' && /^Connection terminated|timeout expired/i.test(e.message);
}

export class PostgresAdmin {
  readonly appHost: string;
  readonly appPort: number;
  readonly #options: PostgresAdminOptions;

  constructor(options: PostgresAdminOptions) {
    this.#options = options;
    this.appHost = options.appHost ?? 'postgres';
    this.appPort = options.appPort ?? 5432;
  }

  /** The app's database and role names (`my-shop` -> `my_shop`); throws for an unusable name. */
  names(app: string): PostgresNames {
    return postgresNames(app, this.#options.user);
  }

  /**
   * Creates the app's role and database, or re-keys and repairs them if they exist: ensure is
   * also how a password is rotated, and how a kept database is handed back to its app.
   */
  async ensure(app: string, password: Sensitive<string>): Promise<PostgresNames> {
    const names = this.names(app);
    checkScramPassword(password);
    const verifier = scramSha256Verifier(password);
    const limit = this.#options.connectionLimit ?? DEFAULT_CONNECTION_LIMIT;
    await this.#session([password, verifier], undefined, async (run) => {
      const state = await this.#state(run, names);
      for (const statement of ensureStatements(names, state, verifier, limit)) await run(statement);
    });
    await this.#session([], names.database, async (run) => {
      const rows = await run({
        what: `look up schema public of ${names.database}`,
        sql: "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') AS found",
      });
      for (const statement of schemaStatements(names, rows[0]?.found === true)) await run(statement);
    });
    return names;
  }

  /** Sets the role's password only; MC_POSTGRES when the app has no role. */
  async rekey(app: string, password: Sensitive<string>): Promise<void> {
    const names = this.names(app);
    checkScramPassword(password);
    const verifier = scramSha256Verifier(password);
    await this.#session([password, verifier], undefined, async (run) => {
      if (!(await this.#state(run, names)).roleExists) {
        throw new MinicloudError('MC_POSTGRES', `app ${app} has no PostgreSQL role ${names.role} to re-key`);
      }
      await run(rekeyStatement(names, verifier));
    });
  }

  /** Drops the app's database and role, ending their sessions; absent ones are fine. */
  async drop(app: string): Promise<void> {
    const names = this.names(app);
    await this.#session([], undefined, async (run) => {
      const { roleExists } = await this.#state(run, names);
      for (const statement of dropStatements(names, roleExists)) await run(statement);
    });
  }

  /** Whether the app's database or its role is there (kept by an earlier remove, or left by a failed purge). */
  async exists(app: string): Promise<boolean> {
    const names = this.names(app);
    return this.#session([], undefined, async (run) => {
      const state = await this.#state(run, names);
      return state.roleExists || state.databaseOwner !== undefined;
    });
  }

  /**
   * Whether any app's database or role is on the server (kept data included): the platform
   * stops a shared service no app needs only when this is false. The server's own are the
   * template and maintenance databases, the admin and the `pg_` roles.
   */
  async holdsShares(): Promise<boolean> {
    return this.#session([], undefined, async (run) => {
      const [row] = await run({ what: "look for apps' databases and roles", sql: HOLDS_SHARES_SQL }, [
        POSTGRES_RESERVED,
        this.#options.user,
      ]);
      return Number(row?.['n'] ?? 0) > 0;
    });
  }

  async #state(run: Run, names: PostgresNames): Promise<PostgresShareState> {
    const [row] = await run({ what: `look up role and database ${names.database}`, sql: SHARE_STATE_SQL }, [
      names.role,
      names.database,
    ]);
    return {
      roleExists: row?.roleExists === true,
      databaseOwner: typeof row?.databaseOwner === 'string' ? row.databaseOwner : undefined,
      memberOf: Array.isArray(row?.memberOf) ? (row.memberOf as string[]) : [],
    };
  }

  get #server(): string {
    return `${this.#options.host}:${this.#options.port ?? 5432}`;
  }

  /**
   * One admin session in `database` (default: the admin database); a server that cannot be
   * reached (restarting) is waited for and the whole session tried again: every session here
   * is idempotent (it reads the state and does what is missing).
   */
  #session<T>(secrets: Sensitive<string>[], database: string | undefined, work: (run: Run) => Promise<T>): Promise<T> {
    const options = this.#options;
    const server: AdminServer<Client> = {
      service: `PostgreSQL at ${this.#server}`,
      kind: 'PostgreSQL server',
      address: this.#server,
      user: options.user,
      secrets: [options.password, ...secrets],
      code: 'MC_POSTGRES',
      unreachable: pgUnreachable,
      waitMs: options.unavailableWaitMs,
      open: async () => {
        const client = new Client({
          host: options.host,
          port: options.port ?? 5432,
          user: options.user,
          password: options.password.reveal(),
          database: database ?? options.adminDatabase ?? 'postgres',
          connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
          application_name: 'minicloud',
        });
        // The connection's own errors (a dropped socket) must not crash the process.
        client.on('error', () => undefined);
        try {
          await client.connect();
        } catch (error) {
          await client.end().catch(() => undefined);
          throw error;
        }
        return client;
      },
      close: (client) => client.end().catch(() => undefined),
    };
    // The server's words (its SQLSTATE and message) in every error, never the SQL sent.
    return withAdminConnection(server, (client, call) =>
      work((statement, values) =>
        call(statement.what, async () => {
          const result = await client.query<Record<string, unknown>>(statementText(statement), values);
          return result.rows;
        }),
      ),
    );
  }
}
