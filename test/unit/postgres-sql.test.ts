import t from 'tap';
import {
  dropStatements,
  ensureStatements,
  pgIdentifier,
  pgLiteral,
  postgresNames,
  postgresUrl,
  rekeyStatement,
  schemaStatements,
  scramSha256Verifier,
  Sensitive,
  statementText,
  type Statement,
} from '@minicloud/core';

// The SQL of an app's PostgreSQL share, as data. The same rules against a real server are in
// test/engine/provision-postgres.test.ts.

const names = postgresNames('my-shop', 'postgres');
const password = new Sensitive('Ab1\'"`;--pw');
const verifier = scramSha256Verifier(password);
const fresh = { roleExists: false, databaseOwner: undefined, memberOf: [] };
const texts = (statements: Statement[]) => statements.map(statementText);

t.test('names: as for MariaDB, server names and pg_ refused', async (t) => {
  t.same(names, { database: 'my_shop', role: 'my_shop' });
  for (const [app, code] of [
    ['postgres', 'MC_APP_NAME_INVALID'],
    ['template1', 'MC_APP_NAME_INVALID'],
    ['public', 'MC_APP_NAME_INVALID'],
    ['pg-shop', 'MC_APP_NAME_INVALID'],
    ['mcadmin', 'MC_APP_NAME_INVALID'],
    ['Shop', 'MC_APP_NAME_INVALID'],
    ['a"b', 'MC_APP_NAME_INVALID'],
    ['a;drop', 'MC_APP_NAME_INVALID'],
  ] as const) {
    t.throws(() => postgresNames(app, 'mcadmin'), { code }, app);
  }
  t.same(postgresNames('pgx', 'mcadmin'), { database: 'pgx', role: 'pgx' }, 'only the pg_ prefix is reserved');
});

t.test('quoting: identifiers and literals cannot be ended from inside', async (t) => {
  t.equal(pgIdentifier('a"b'), '"a""b"');
  t.equal(pgLiteral("it's"), "'it''s'");
  t.throws(() => pgIdentifier('a\0b'), { code: 'MC_POSTGRES' });
  t.throws(() => pgLiteral('a\0b'), { code: 'MC_POSTGRES' });
});

t.test('a new app: the maintenance databases closed, the role, its own database closed to PUBLIC', async (t) => {
  const statements = ensureStatements(names, fresh, verifier);
  const sql = texts(statements);
  t.same(sql.slice(0, 2), [
    'REVOKE ALL ON DATABASE "template1" FROM PUBLIC',
    'REVOKE ALL ON DATABASE "postgres" FROM PUBLIC',
  ]);
  t.equal(
    sql[2],
    `CREATE ROLE "my_shop" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 20 PASSWORD '${verifier.reveal()}'`,
  );
  t.same(sql.slice(3), [
    `CREATE DATABASE "my_shop" OWNER "my_shop" TEMPLATE template0 ENCODING 'UTF8'`,
    'REVOKE ALL ON DATABASE "my_shop" FROM PUBLIC',
  ]);
  t.ok(statements[2]!.sql instanceof Sensitive, 'the statement with the verifier stays wrapped');
  t.equal(String(statements[2]!.sql), '[redacted]');
  for (const text of sql) t.notMatch(text, password.reveal(), 'the plain password is in no statement');
  t.notMatch(JSON.stringify(statements), verifier.reveal(), 'nor the verifier in a printed plan');
});

t.test('an existing app: re-keyed, its memberships revoked, its database given back', async (t) => {
  const sql = texts(
    ensureStatements(
      names,
      { roleExists: true, databaseOwner: 'postgres', memberOf: ['pg_read_server_files', 'blog'] },
      verifier,
      5,
    ),
  );
  t.match(sql[2], /^ALTER ROLE "my_shop" WITH LOGIN NOSUPERUSER .* CONNECTION LIMIT 5 PASSWORD 'SCRAM-SHA-256\$/);
  t.same(sql.slice(3), [
    'REVOKE "blog" FROM "my_shop"',
    'REVOKE "pg_read_server_files" FROM "my_shop"',
    'ALTER DATABASE "my_shop" OWNER TO "my_shop"',
    'REVOKE ALL ON DATABASE "my_shop" FROM PUBLIC',
  ]);
  const owned = texts(ensureStatements(names, { roleExists: true, databaseOwner: 'my_shop', memberOf: [] }, verifier));
  t.same(owned.slice(3), ['REVOKE ALL ON DATABASE "my_shop" FROM PUBLIC'], 'its own database: nothing to give back');
});

t.test('only a verifier reaches the SQL: a plain password is refused', async (t) => {
  for (const notVerifier of [password, new Sensitive("SCRAM-SHA-256$4096:abc$def:gh'; DROP ROLE x; --")]) {
    t.throws(() => ensureStatements(names, fresh, notVerifier), { code: 'MC_POSTGRES' });
    t.throws(() => rekeyStatement(names, notVerifier), { code: 'MC_POSTGRES' });
  }
  t.throws(() => ensureStatements(names, fresh, verifier, 0), { code: 'MC_POSTGRES' });
  t.match(statementText(rekeyStatement(names, verifier)), /^ALTER ROLE "my_shop" PASSWORD 'SCRAM-SHA-256\$4096:/);
});

t.test('schema public: PUBLIC loses it, the owner gets it; nothing when the app dropped it', async (t) => {
  t.same(texts(schemaStatements(names, true)), [
    'REVOKE ALL ON SCHEMA public FROM PUBLIC',
    'GRANT ALL ON SCHEMA public TO "my_shop"',
  ]);
  t.same(schemaStatements(names, false), []);
});

t.test('drop: no new logins, sessions ended, then the database and the role', async (t) => {
  t.same(texts(dropStatements(names, true)), [
    'ALTER ROLE "my_shop" NOLOGIN',
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (usename = 'my_shop' OR datname = 'my_shop')",
    'DROP DATABASE IF EXISTS "my_shop" WITH (FORCE)',
    'DROP ROLE IF EXISTS "my_shop"',
  ]);
  t.same(
    texts(dropStatements(names, false)).slice(0, 1),
    [
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (usename = 'my_shop' OR datname = 'my_shop')",
    ],
    'no role: no ALTER ROLE',
  );
});

t.test('DATABASE_URL: postgres://, every part percent-encoded', async (t) => {
  const url = postgresUrl({
    user: 'my_shop',
    password: new Sensitive("p@ss:w/o'rd%?#"),
    host: 'postgres',
    port: 5432,
    path: 'my_shop',
  });
  t.equal(url.reveal(), "postgres://my_shop:p%40ss%3Aw%2Fo'rd%25%3F%23@postgres:5432/my_shop");
  t.equal(String(url), '[redacted]');
  const parsed = new URL(url.reveal());
  t.equal(decodeURIComponent(parsed.password), "p@ss:w/o'rd%?#");
  t.equal(parsed.pathname, '/my_shop');
});
