import { MinicloudError } from '../../errors.js';
import { provisionName } from '../../provision/names.js';
import { Sensitive } from '../../sensitive.js';

// The SQL of an app's share of the shared PostgreSQL, as data: what the adapter (admin.ts)
// runs is decided here from what it read, so that the isolation rules are tested without a
// server. Per app: a role that can log in and do nothing else cluster-wide, and a database it
// owns that no other role may connect to.
//
// Isolation, rule by rule:
// - the role is NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS and a member of
//   no other role (pg_read_server_files, pg_read_all_data, another app's role, ...): any
//   membership found is revoked, so a re-key also repairs a role someone widened by hand;
// - its database is made from template0 (nothing a template1 may have been given is copied)
//   and PUBLIC loses every right on it (CONNECT, TEMPORARY, CREATE): only its owner and the
//   superuser connect;
// - the maintenance databases `postgres` and `template1` lose PUBLIC's rights too, so an app's
//   role cannot connect to any database but its own;
// - in its database, PUBLIC loses every right on schema `public` (since PostgreSQL 15 PUBLIC
//   only has USAGE there; older clusters also gave CREATE), and the owner gets them all.
// Names of other databases and roles stay visible (pg_database and pg_roles are readable in
// every database); their contents are not.

/** Names the server has for itself: an app must not get them (`pg_` roles are reserved too). */
export const POSTGRES_RESERVED = ['postgres', 'template0', 'template1', 'public', 'pg_database_owner'];

/** Sessions one app may hold at once, so one app cannot take every connection of the server. */
export const DEFAULT_CONNECTION_LIMIT = 20;

export interface PostgresNames {
  database: string;
  role: string;
}

/** The app's database and role (`my-shop` -> `my_shop`, as for MariaDB); throws for an unusable name. */
export function postgresNames(app: string, adminUser: string): PostgresNames {
  const name = provisionName(app, [...POSTGRES_RESERVED, adminUser]);
  if (name.startsWith('pg_')) {
    throw new MinicloudError(
      'MC_APP_NAME_INVALID',
      `app name "${app}" would be "${name}": PostgreSQL reserves pg_ names`,
    );
  }
  return { database: name, role: name };
}

/** A double-quoted identifier. Names are validated first; quoting is the second wall. */
export function pgIdentifier(name: string): string {
  if (name.includes('\0')) throw new MinicloudError('MC_POSTGRES', 'an identifier cannot hold a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A standard string literal ('' for a quote; standard_conforming_strings is on since 9.1). */
export function pgLiteral(text: string): string {
  if (text.includes('\0')) throw new MinicloudError('MC_POSTGRES', 'a literal cannot hold a NUL byte');
  return `'${text.replaceAll("'", "''")}'`;
}

/** One statement to run: `what` names it in errors (the SQL never appears in one). */
export interface Statement {
  what: string;
  /** Sensitive when it carries a password verifier. */
  sql: string | Sensitive<string>;
}

/** The SQL to send: the one place a statement's verifier is revealed. */
export function statementText(statement: Statement): string {
  return typeof statement.sql === 'string' ? statement.sql : statement.sql.reveal();
}

/** What the adapter read of an app's share before changing it. */
export interface PostgresShareState {
  roleExists: boolean;
  /** The owner of the app's database, or undefined when there is none. */
  databaseOwner: string | undefined;
  /** Roles the app's role is a member of. */
  memberOf: readonly string[];
}

const VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

/** The verifier as a literal; checked, not just quoted: never a plain password may reach the SQL. */
function verifierLiteral(verifier: Sensitive<string>): string {
  if (!VERIFIER.test(verifier.reveal()))
    throw new MinicloudError('MC_POSTGRES', 'the password is not a SCRAM-SHA-256 verifier');
  return pgLiteral(verifier.reveal());
}

function roleOptions(verifier: Sensitive<string>, connectionLimit: number): string {
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1) {
    throw new MinicloudError('MC_POSTGRES', `connection limit ${connectionLimit} is not a positive integer`);
  }
  const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';
  return `${attributes} CONNECTION LIMIT ${connectionLimit} PASSWORD ${verifierLiteral(verifier)}`;
}

/** Cluster-wide: PUBLIC may not connect to the maintenance databases. Idempotent. */
export function clusterStatements(): Statement[] {
  return ['template1', 'postgres'].map((db) => ({
    what: `revoke PUBLIC's rights on database ${db}`,
    sql: `REVOKE ALL ON DATABASE ${pgIdentifier(db)} FROM PUBLIC`,
  }));
}

/**
 * The statements that make (or re-key and repair) an app's role and database, run in the
 * maintenance database: the role with its password at once (no moment without one), its
 * memberships revoked, its database created or given back to it, PUBLIC's rights revoked.
 */
export function ensureStatements(
  names: PostgresNames,
  state: PostgresShareState,
  verifier: Sensitive<string>,
  connectionLimit = DEFAULT_CONNECTION_LIMIT,
): Statement[] {
  const role = pgIdentifier(names.role);
  const options = roleOptions(verifier, connectionLimit);
  const statements: Statement[] = [...clusterStatements()];
  statements.push(
    state.roleExists
      ? { what: `re-key role ${names.role}`, sql: new Sensitive(`ALTER ROLE ${role} WITH ${options}`) }
      : { what: `create role ${names.role}`, sql: new Sensitive(`CREATE ROLE ${role} WITH ${options}`) },
  );
  for (const granted of [...state.memberOf].sort()) {
    statements.push({
      what: `revoke ${names.role}'s membership of ${granted}`,
      sql: `REVOKE ${pgIdentifier(granted)} FROM ${role}`,
    });
  }
  statements.push(...databaseStatements(names, state.databaseOwner));
  return statements;
}

/**
 * The app's database created (`owner` undefined: there is none) or given back to its role,
 * and closed to PUBLIC; run in the maintenance database, the role existing.
 */
export function databaseStatements(names: PostgresNames, owner: string | undefined): Statement[] {
  const role = pgIdentifier(names.role);
  const db = pgIdentifier(names.database);
  const statements: Statement[] = [];
  if (owner === undefined) {
    statements.push({
      what: `create database ${names.database}`,
      sql: `CREATE DATABASE ${db} OWNER ${role} TEMPLATE template0 ENCODING 'UTF8'`,
    });
  } else if (owner !== names.role) {
    statements.push({
      what: `give database ${names.database} to ${names.role}`,
      sql: `ALTER DATABASE ${db} OWNER TO ${role}`,
    });
  }
  statements.push({
    what: `revoke PUBLIC's rights on database ${names.database}`,
    sql: `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
  });
  return statements;
}

/** Run inside the app's database (as the admin): schema public is its owner's alone. */
export function schemaStatements(names: PostgresNames, publicSchemaExists: boolean): Statement[] {
  if (!publicSchemaExists) return [];
  return [
    {
      what: `revoke PUBLIC's rights on schema public of ${names.database}`,
      sql: 'REVOKE ALL ON SCHEMA public FROM PUBLIC',
    },
    {
      what: `grant schema public of ${names.database} to ${names.role}`,
      sql: `GRANT ALL ON SCHEMA public TO ${pgIdentifier(names.role)}`,
    },
  ];
}

/** Re-keys the role only (it must exist). */
export function rekeyStatement(names: PostgresNames, verifier: Sensitive<string>): Statement {
  return {
    what: `re-key role ${names.role}`,
    sql: new Sensitive(`ALTER ROLE ${pgIdentifier(names.role)} PASSWORD ${verifierLiteral(verifier)}`),
  };
}

/**
 * Drops an app's share, in an order that lets no session survive: the role may no longer log
 * in, then its sessions (and any in its database) end, then the database (FORCE ends a session
 * that slipped in between), then the role. Absent ones are fine (IF EXISTS).
 */
export function dropStatements(names: PostgresNames, roleExists: boolean): Statement[] {
  const role = pgIdentifier(names.role);
  return [
    ...(roleExists ? [{ what: `stop role ${names.role} logging in`, sql: `ALTER ROLE ${role} NOLOGIN` }] : []),
    {
      what: `end the sessions of ${names.role}`,
      sql: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (usename = ${pgLiteral(names.role)} OR datname = ${pgLiteral(names.database)})`,
    },
    {
      what: `drop database ${names.database}`,
      sql: `DROP DATABASE IF EXISTS ${pgIdentifier(names.database)} WITH (FORCE)`,
    },
    { what: `drop role ${names.role}`, sql: `DROP ROLE IF EXISTS ${role}` },
  ];
}

/** One query for the state ensureStatements needs: $1 the role, $2 the database. */
export const SHARE_STATE_SQL = `SELECT
  EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS "roleExists",
  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $2) AS "databaseOwner",
  ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1 ORDER BY 1) AS "memberOf"`;
