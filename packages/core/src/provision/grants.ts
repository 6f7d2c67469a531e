import { sqlIdentifier } from './names.js';

// A database-level GRANT names a pattern, not a database: `_` stands for any one character and
// `%` for any run of them (`\` escapes either). Granting `my_shop`.* to app my-shop's user also
// granted it app myxshop's database, so every grant escapes its database name. Earlier
// versions granted the bare name; the repair plan below finds those grants and replaces them.

/** One row of mysql.db: a database-level grant of `user`@`host` on the pattern `db`. */
export interface DbGrantRow {
  user: string;
  host: string;
  db: string;
  /** Whether it carries GRANT OPTION (Grant_priv). */
  grantOption: boolean;
}

/** A grant to replace: `revoke` (a pattern with wildcards) gives way to exactly `database`. */
export interface GrantRepair {
  user: string;
  host: string;
  database: string;
  revoke: string;
  /** The old grant has GRANT OPTION, which ALL PRIVILEGES does not take away. */
  grantOption: boolean;
}

/** The GRANT pattern that matches `database` and no other: `\`, `_` and `%` escaped with `\`. */
export function exactDatabasePattern(database: string): string {
  return database.replace(/[\\_%]/g, '\\$&');
}

/** Whether a grant pattern has an unescaped `_` or `%`, i.e. may match another database. */
export function hasWildcard(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '_' || c === '%') return true;
  }
  return false;
}

/** A user@host account in SQL; host `%` is any host. Names are validated before they get here. */
export function sqlAccount(user: string, host: string): string {
  return `${sqlIdentifier(user)}@'${host.replaceAll("'", "''")}'`;
}

/** Every privilege on exactly `database`, nothing on a database whose name only looks alike. */
export function grantStatement(database: string, account: string): string {
  return `GRANT ALL PRIVILEGES ON ${sqlIdentifier(exactDatabasePattern(database))}.* TO ${account}`;
}

/**
 * The grants earlier versions made and this one replaces: an app's user (by `isAppUser`) on
 * the pattern spelled like its own name (the app's database) from any host, where that
 * pattern has a wildcard. Grants someone made by hand, on other patterns or for other
 * accounts, are not the platform's to change and are left alone.
 */
export function grantRepairPlan(rows: readonly DbGrantRow[], isAppUser: (user: string) => boolean): GrantRepair[] {
  return rows
    .filter((r) => r.host === '%' && r.db === r.user && hasWildcard(r.db) && isAppUser(r.user))
    .map((r) => ({ user: r.user, host: r.host, database: r.db, revoke: r.db, grantOption: r.grantOption }));
}

/**
 * The SQL of one repair, in an order that never leaves the app without its rights: first the
 * exact grant (both then match its database), then the wildcard one goes. Its GRANT OPTION,
 * if someone added one, goes first: MariaDB takes no `ALL PRIVILEGES, GRANT OPTION ON`, and
 * once the last privilege is revoked the row is gone and a second REVOKE would be an error.
 */
export function grantRepairStatements(repair: GrantRepair): string[] {
  const account = sqlAccount(repair.user, repair.host);
  const pattern = `${sqlIdentifier(repair.revoke)}.*`;
  return [
    grantStatement(repair.database, account),
    ...(repair.grantOption ? [`REVOKE GRANT OPTION ON ${pattern} FROM ${account}`] : []),
    `REVOKE ALL PRIVILEGES ON ${pattern} FROM ${account}`,
  ];
}
