import t from 'tap';
import {
  appOfProvisionName,
  exactDatabasePattern,
  grantRepairPlan,
  grantRepairStatements,
  grantStatement,
  hasWildcard,
  sqlAccount,
  type DbGrantRow,
} from '@minicloud/core';

// A database-level GRANT takes a pattern: `_` is any one character, `%` any run, `\` escapes.
// App my-shop's grant must reach database my_shop and not myxshop. The real server (the
// refusal, the repair of an old grant) is in test/engine/provision-db-mq.test.ts.

/** What MariaDB does with a grant's database pattern (wild_compare with `\` as the escape). */
function grantMatches(pattern: string, database: string): boolean {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += literal(pattern[++i]!);
    else if (c === '_') source += '.';
    else if (c === '%') source += '.*';
    else source += literal(c);
  }
  return new RegExp(`^${source}$`, 's').test(database);
}

t.test('the reference matcher shows the hole: a bare name reaches look-alike databases', async (t) => {
  t.equal(grantMatches('my_shop', 'myxshop'), true);
  t.equal(grantMatches('a_b', 'axb'), true);
  t.equal(grantMatches('shop%', 'shopping'), true);
  t.equal(grantMatches('my\\_shop', 'myxshop'), false);
});

t.test('grant patterns escape _, % and \\, and match their database only', async (t) => {
  const cases: [string, string, string[]][] = [
    ['shop', 'shop', ['shopx', 'shap']],
    ['my_shop', 'my\\_shop', ['myxshop', 'my-shop', 'my%shop', 'my\\_shop']],
    ['a_b', 'a\\_b', ['axb', 'a_bb', 'ab']],
    ['a__b', 'a\\_\\_b', ['axxb', 'a_xb']],
    ['x_', 'x\\_', ['xy', 'x']],
    ['50%', '50\\%', ['500', '50', '50%x']],
    ['a\\b', 'a\\\\b', ['ab', 'a\\\\b']],
    [
      'a'.repeat(20) + '_' + 'b'.repeat(19),
      'a'.repeat(20) + '\\_' + 'b'.repeat(19),
      ['a'.repeat(20) + 'c' + 'b'.repeat(19)],
    ],
  ];
  for (const [database, pattern, others] of cases) {
    t.equal(exactDatabasePattern(database), pattern, database);
    t.equal(grantMatches(pattern, database), true, `${pattern} matches ${database}`);
    for (const other of others) t.equal(grantMatches(pattern, other), false, `${pattern} does not match ${other}`);
    t.equal(hasWildcard(pattern), false, `${pattern} has no wildcard left`);
  }
});

t.test('the GRANT statement is exactly what MariaDB needs: the escaped name in backticks', async (t) => {
  t.equal(
    grantStatement('my_shop', sqlAccount('my_shop', '%')),
    "GRANT ALL PRIVILEGES ON `my\\_shop`.* TO `my_shop`@'%'",
  );
  t.equal(grantStatement('shop', sqlAccount('shop', '%')), "GRANT ALL PRIVILEGES ON `shop`.* TO `shop`@'%'");
});

t.test('unescaped _ and % are wildcards; escaped ones are not', async (t) => {
  const cases: [string, boolean][] = [
    ['shop', false],
    ['my_shop', true],
    ['my\\_shop', false],
    ['my\\_shop_x', true],
    ['shop%', true],
    ['shop\\%', false],
    ['a\\\\_b', true],
    ['a\\\\\\_b', false],
    ['', false],
  ];
  for (const [pattern, wild] of cases) t.equal(hasWildcard(pattern), wild, pattern);
});

t.test('provision names map back to their app; other accounts to none', async (t) => {
  const reserved = ['mysql', 'information_schema', 'performance_schema', 'sys', 'test', 'root'];
  const cases: [string, string | undefined][] = [
    ['my_shop', 'my-shop'],
    ['shop', 'shop'],
    ['a__b', 'a--b'],
    ['root', undefined],
    ['test', undefined],
    ['mariadb.sys', undefined],
    ['', undefined],
    ['_shop', undefined],
    ['shop_', undefined],
    ['my-shop', undefined],
    ['Shop', undefined],
    ['a'.repeat(41), undefined],
  ];
  for (const [name, app] of cases) t.equal(appOfProvisionName(name, reserved), app, JSON.stringify(name));
});

t.test("the repair plan picks the platform's old wildcard grants and nothing else", async (t) => {
  const isApp = (user: string) => appOfProvisionName(user, ['mysql', 'root', 'test']) !== undefined;
  const rows: DbGrantRow[] = [
    { user: 'my_shop', host: '%', db: 'my_shop', grantOption: false }, // the old grant: repaired
    { user: 'a_b', host: '%', db: 'a_b', grantOption: true }, // the old grant, GRANT OPTION added
    { user: 'shop', host: '%', db: 'shop', grantOption: false }, // no wildcard in it
    { user: 'blog_x', host: '%', db: 'blog\\_x', grantOption: false }, // already exact
    { user: 'ops_user', host: 'localhost', db: 'ops_user', grantOption: false }, // another host: an operator's
    { user: 'report_ro', host: '%', db: 'shop_%', grantOption: false }, // an operator's grant on other databases
    { user: 'root', host: '%', db: 'root', grantOption: false },
    { user: 'mariadb.sys', host: 'localhost', db: 'mariadb.sys', grantOption: false },
    { user: '', host: '%', db: 'test\\_%', grantOption: false }, // anonymous account of old installs
  ];
  t.same(grantRepairPlan(rows, isApp), [
    { user: 'my_shop', host: '%', database: 'my_shop', revoke: 'my_shop', grantOption: false },
    { user: 'a_b', host: '%', database: 'a_b', revoke: 'a_b', grantOption: true },
  ]);
  t.same(grantRepairPlan([], isApp), []);
  const repaired = grantRepairPlan(rows, isApp).map((r) => ({
    user: r.user,
    host: r.host,
    db: exactDatabasePattern(r.database),
    grantOption: false,
  }));
  t.same(grantRepairPlan(repaired, isApp), [], 'once repaired, there is nothing more to repair');
});

t.test('a repair grants the exact pattern before it revokes the wildcard one', async (t) => {
  const repair = { user: 'my_shop', host: '%', database: 'my_shop', revoke: 'my_shop', grantOption: false };
  t.same(grantRepairStatements(repair), [
    "GRANT ALL PRIVILEGES ON `my\\_shop`.* TO `my_shop`@'%'",
    "REVOKE ALL PRIVILEGES ON `my_shop`.* FROM `my_shop`@'%'",
  ]);
  t.same(
    grantRepairStatements({ ...repair, grantOption: true }),
    [
      "GRANT ALL PRIVILEGES ON `my\\_shop`.* TO `my_shop`@'%'",
      "REVOKE GRANT OPTION ON `my_shop`.* FROM `my_shop`@'%'",
      "REVOKE ALL PRIVILEGES ON `my_shop`.* FROM `my_shop`@'%'",
    ],
    'GRANT OPTION, which ALL PRIVILEGES leaves, goes first, while the row is there',
  );
});
