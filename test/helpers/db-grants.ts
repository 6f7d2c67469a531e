// SQL for tests of the database grants (test/engine/provision-db-mq, and the hostile-tenant
// test on an installed platform, where it runs as root through MariaDbClient.query): what
// earlier versions granted, and what a user's grants are now. No placeholders, so that it
// also runs through the mariadb client; names are checked to be provision names first.

function checked(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(name)) throw new Error(`${JSON.stringify(name)} is not a provision name`);
  return name;
}

/**
 * Turns `user`'s exact grant back into the old one on the bare name (`_` a wildcard), with
 * GRANT OPTION if asked (minicloud never gave it; an operator might have).
 */
export function oldWildcardGrantSql(user: string, options: { grantOption?: boolean } = {}): string[] {
  const name = checked(user);
  return [
    `REVOKE ALL PRIVILEGES ON \`${name.replaceAll('_', '\\_')}\`.* FROM \`${name}\`@'%'`,
    `GRANT ALL PRIVILEGES ON \`${name}\`.* TO \`${name}\`@'%'${options.grantOption ? ' WITH GRANT OPTION' : ''}`,
  ];
}

/** `user`'s database-level grants: rows of host and db pattern (`my\_shop` once exact). */
export function dbGrantsSql(user: string): string {
  return `SELECT Host AS host, Db AS db FROM mysql.db WHERE User = '${checked(user)}' ORDER BY Db`;
}
