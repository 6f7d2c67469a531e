import t, { type Test } from 'tap';
import { AppManager, Sensitive, type NeedName } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { appRecord } from '../helpers/app-record.js';

// The postgres and redis kinds through the app lifecycle with the platform's edges faked: what
// attaching them provisions and the env the app gets, and the refusal of database + postgres.

async function withApp(t: Test, needs: NeedName[]) {
  const edges = fakeAppContext(t.testdir({}));
  await edges.store.write(appRecord('my-shop', needs), { stackYaml: 'services: {}\n' });
  await edges.store.writeSecrets('my-shop', { database: new Sensitive('pw') }, new Sensitive(''));
  edges.needs.set('my-shop', new Set(needs));
  return { ...edges, manager: new AppManager(edges.ctx) };
}

t.test('attaching postgres and redis provisions them and gives the app their env', async (t) => {
  const { manager, engine, needs, store } = await withApp(t, []);
  await manager.attachNeed('my-shop', 'postgres');
  await manager.attachNeed('my-shop', 'redis');
  t.same([...needs.get('my-shop')!].sort(), ['postgres', 'redis'], 'both shares were made');
  t.same((await manager.show('my-shop')).needs, ['postgres', 'redis']);
  const secrets = await store.readSecrets('my-shop');
  const pg = secrets.postgres!.reveal();
  const rd = secrets.redis!.reveal();
  t.not(pg, rd, 'each kind has a password of its own');
  const env = engine.env('my-shop_web');
  t.ok(env.includes(`DATABASE_URL=postgres://my_shop:${encodeURIComponent(pg)}@postgres:5432/my_shop`), 'DATABASE_URL');
  t.ok(env.includes(`REDIS_URL=redis://my_shop:${encodeURIComponent(rd)}@redis:6379`), 'REDIS_URL');
  t.ok(env.includes('REDIS_PREFIX=my_shop:'), 'REDIS_PREFIX');
  t.notOk(
    env.some((e) => e.startsWith('DATABASE_URL=mysql:')),
    'no MariaDB URL',
  );
});

t.test('postgres is refused on an app that has database, and database on one with postgres', async (t) => {
  for (const [has, add] of [
    ['database', 'postgres'],
    ['postgres', 'database'],
  ] as const) {
    const { manager, needs } = await withApp(t, [has]);
    await t.rejects(
      manager.attachNeed('my-shop', add),
      {
        code: 'MC_NEED_INVALID',
        message: new RegExp(`has ${has}, and ${has} and ${add} both give DATABASE_URL: detach ${has} first`),
        details: [{ path: 'need' }],
      },
      `${add} onto ${has}`,
    );
    t.same([...needs.get('my-shop')!], [has], 'nothing was provisioned');
    t.same((await manager.show('my-shop')).needs, [has], 'the app is unchanged');
  }
});

t.test('a context without a kind’s adapter refuses that kind with MC_UNAVAILABLE naming the service', async (t) => {
  const { manager, ctx } = await withApp(t, []);
  delete (ctx as { postgres?: unknown }).postgres;
  await t.rejects(manager.attachNeed('my-shop', 'postgres'), {
    code: 'MC_UNAVAILABLE',
    message: 'needs: postgres is not available here: no PostgreSQL is configured',
  });
  await manager.attachNeed('my-shop', 'redis');
  t.same((await manager.show('my-shop')).needs, ['redis'], 'the other kinds still work');
});
