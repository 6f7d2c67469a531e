import t from 'tap';
import { readFileSync } from 'node:fs';
import {
  APP_PARTS,
  APP_PART_FILES,
  BACKUP_KINDS,
  BACKUP_PART_NAMES,
  ManifestSchema,
  NEED_ENV_NAMES,
  NEED_KINDS,
  NEED_NAMES,
  Need,
  isNeedName,
  needKind,
  needNamesText,
  needClashes,
  needsOfEnv,
  normaliseManifest,
  validateManifest,
} from '@minicloud/core';
import { manifestErrors } from '../helpers/manifest-errors.js';

t.test('the registry lists the kinds in a stable order, each name once', async (t) => {
  t.same(
    NEED_NAMES,
    ['database', 'messagebus', 'storage', 'postgres', 'redis'],
    'the order manifests are normalised to',
  );
  t.equal(new Set(NEED_NAMES).size, NEED_NAMES.length);
  for (const name of NEED_NAMES) {
    t.match(name, /^[a-z][a-z0-9]*$/, `${name} is a lowercase word`);
    t.equal(needKind(name).name, name);
    t.ok(isNeedName(name));
  }
  t.notOk(isNeedName('cache'));
  t.equal(needNamesText(), 'database, messagebus, storage, postgres or redis');
});

t.test("the manifest schema's need enum is the registry's names, in its order", async (t) => {
  const anyOf = (Need as unknown as { anyOf: { const: string }[] }).anyOf.map((s) => s.const);
  t.same(anyOf, NEED_NAMES);
  const needs = (ManifestSchema.properties.needs as unknown as { items: unknown }).items;
  t.same(needs, Need, 'the manifest field uses that enum');
  t.same(manifestErrors({ name: 'app', needs: ['cache'] }), [`needs[0]: must be one of: ${NEED_NAMES.join(', ')}`]);
});

t.test('normalising puts any order of needs into the registry order', async (t) => {
  const allowed = NEED_NAMES.filter((n) => n !== 'postgres');
  t.same(normaliseManifest(validateManifest({ name: 'app', needs: [...allowed].reverse() })).needs, allowed);
  const withPostgres = NEED_NAMES.filter((n) => n !== 'database');
  t.same(normaliseManifest(validateManifest({ name: 'app', needs: [...withPostgres].reverse() })).needs, withPostgres);
});

t.test("every kind's env names are refused in a manifest's env, naming the kind", async (t) => {
  const withEnv = NEED_KINDS.filter((k) => k.env.length > 0);
  t.ok(withEnv.length >= 2, 'database and messagebus give env');
  t.same(NEED_ENV_NAMES, [...new Set(NEED_KINDS.flatMap((k) => k.env))], 'each variable once');
  for (const kind of NEED_KINDS) {
    for (const name of kind.env) {
      const givers = NEED_KINDS.filter((k) => k.env.includes(name)).map((k) => k.name);
      t.same(needsOfEnv(name), givers);
      t.ok(givers.includes(kind.name));
      t.same(manifestErrors({ name: 'app', needs: [kind.name], env: { [name]: 'x' } }), [
        `env.${name}: is set by the platform from needs: ${givers.join(' or ')}; remove it`,
      ]);
    }
  }
  t.same(needsOfEnv('DATABASE_URL'), ['database', 'postgres'], 'both database kinds give it');
  t.same(needsOfEnv('DATABASE'), [], 'only the exact names');
  t.same(manifestErrors({ name: 'app', env: { APP_URL: 'x' } }), []);
});

t.test('kinds that give the same env variable cannot be needed together', async (t) => {
  const clash = 'needs: database and postgres both give DATABASE_URL: an app needs one or the other';
  const table: [string, unknown[], string[]][] = [
    ['database and postgres', ['database', 'postgres'], [clash]],
    ['either order', ['postgres', 'database'], [clash]],
    ['with the others too', ['redis', 'database', 'storage', 'postgres', 'messagebus'], [clash]],
    ['database alone', ['database'], []],
    ['postgres alone', ['postgres'], []],
    ['postgres and redis', ['postgres', 'redis'], []],
    ['database, messagebus, storage and redis', ['database', 'messagebus', 'storage', 'redis'], []],
  ];
  for (const [what, needs, errors] of table) t.same(manifestErrors({ name: 'app', needs }), errors, what);
  t.same(needClashes(['database', 'postgres']), [{ needs: ['database', 'postgres'], env: ['DATABASE_URL'] }]);
  t.same(needClashes(['database', 'redis']), []);
  // Apart from that pair, no two kinds share a variable.
  for (const [i, a] of NEED_KINDS.entries()) {
    for (const b of NEED_KINDS.slice(i + 1)) {
      if (a.name === 'database' && b.name === 'postgres') continue;
      t.same(
        a.env.filter((n) => b.env.includes(n)),
        [],
        `${a.name} and ${b.name} share no env`,
      );
    }
  }
});

t.test('a kind with credentials names its env; one with a service names its images', async (t) => {
  for (const kind of NEED_KINDS) {
    if (kind.credentials) t.ok(kind.env.length > 0, `${kind.name} gives its credentials as env`);
    if (kind.service) {
      t.match(kind.service.name, /^[a-z][a-z0-9-]*$/);
      t.ok(kind.service.image.hub && kind.service.image.debian, `${kind.name} has an image for both modes`);
    }
    t.ok(kind.label.length > 0);
  }
});

t.test("backups' part lists come from the kinds, in the order backups always had", async (t) => {
  t.same(APP_PARTS, ['database', 'storage', 'messagebus', 'postgres', 'redis'], 'the new kinds come after');
  t.same(
    BACKUP_KINDS.map((k) => k.backup.part),
    APP_PARTS,
  );
  t.same(BACKUP_PART_NAMES, [...APP_PARTS, 'config', 'secrets']);
  t.same(APP_PART_FILES, {
    database: 'database.sql.gz',
    storage: 'storage.tar.gz',
    messagebus: 'messagebus.json',
    postgres: 'postgres.sql.gz',
    redis: 'redis.jsonl.gz',
  });
  const ranks = NEED_KINDS.map((k) => k.backup.rank);
  t.equal(new Set(ranks).size, ranks.length, 'no two parts share a rank');
  const files = NEED_KINDS.map((k) => k.backup.file);
  t.equal(new Set(files).size, files.length, 'no two parts share a file');
});

t.test("the README's needs row names every kind and the env it gives", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const row = readme.split('\n').find((line) => line.startsWith('| `needs` |'));
  t.ok(row, 'the manifest reference has a needs row');
  for (const kind of NEED_KINDS) {
    t.match(row, `\`${kind.name}\``, `README names ${kind.name}`);
    for (const name of kind.env) t.match(row, `${name}=`, `README shows ${name}`);
  }
});
