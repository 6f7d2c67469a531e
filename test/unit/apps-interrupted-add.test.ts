import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppManager, type NeedName } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';

// Issue 15, "the API dies in the middle of a job": an add's record is written first, marked as
// under way, and the mark goes only once the app is deployed and routed. The API that starts
// next rolls back an add still marked: nothing it made is left without an app, except data an
// earlier app left that the add had adopted.

const IMAGE = 'registry.example.com/team/shop:1';

/**
 * An add the API "dies in": the engine never answers the deploy, so the add never ends.
 * `left` is data an earlier app of the name left (the add may adopt it).
 */
async function diedDuringDeploy(t: Test, input: { adopt?: boolean } = {}, left: NeedName[] = []) {
  const dataDir = t.testdir({});
  const edges = fakeAppContext(dataDir);
  if (left.length > 0) edges.needs.set('shop', new Set(left));
  edges.engine.images.set(IMAGE, 'name: shop\nexpose: [{proto: http, port: 80}]\nneeds: [database, storage]\n');
  const docker = edges.ctx.docker as unknown as { createService: () => Promise<never> };
  let deploying!: () => void;
  const reached = new Promise<void>((resolve) => (deploying = resolve));
  docker.createService = () => {
    deploying();
    return new Promise<never>(() => undefined);
  };
  void new AppManager(edges.ctx).add({ image: IMAGE, ...input });
  await reached;
  return { ...edges, dataDir };
}

t.test('the record is written before anything is made, and marked as an add under way', async (t) => {
  const { store, needs } = await diedDuringDeploy(t);
  t.match(await store.read('shop'), { state: 'active', adding: { startedAt: String, adopted: [] } });
  t.same([...(needs.get('shop') ?? [])].sort(), ['database', 'storage'], 'the needs were provisioned');
});

t.test('the next start rolls it back: no record, no credentials, no database, no storage, no route', async (t) => {
  const { ctx, store, needs, routed, dataDir } = await diedDuringDeploy(t);
  const restarted = new AppManager(ctx);
  const lines: string[] = [];
  t.same(await restarted.rollBackInterruptedAdds((l) => lines.push(l)), ['shop']);
  t.match(lines[0], /rolling back the add of shop \(started .*\), which the API died in/);
  t.notOk(await store.exists('shop'), 'the record is gone');
  t.notOk(existsSync(join(dataDir, 'secrets', 'apps', 'shop.env')), 'and its credentials');
  t.same([...(needs.get('shop') ?? [])], [], 'its database and storage are dropped');
  t.notOk(routed.at(-1)?.includes('shop'), 'and the proxy does not route it');
  t.same(await restarted.rollBackInterruptedAdds(), [], 'a second call finds nothing to do');
});

t.test('data an earlier app left, adopted by the add, is kept by the roll-back', async (t) => {
  const { ctx, store, needs } = await diedDuringDeploy(t, { adopt: true }, ['database']);
  t.match(await store.read('shop'), { adding: { adopted: ['database'] } });
  t.same(await new AppManager(ctx).rollBackInterruptedAdds(), ['shop']);
  t.notOk(await store.exists('shop'));
  t.same([...needs.get('shop')!], ['database'], 'the adopted database stays; the storage it made is gone');
});

t.test('a roll-back that cannot finish leaves the app removing, and the next call finishes it', async (t) => {
  const { ctx, store, needs, fail } = await diedDuringDeploy(t);
  fail.add('database');
  const restarted = new AppManager(ctx);
  await t.rejects(restarted.rollBackInterruptedAdds(), { code: 'MC_APP_REMOVE_INCOMPLETE' });
  t.match(await store.read('shop'), { state: 'removing', adding: Object, removal: { purge: true } });
  fail.delete('database');
  t.same(await restarted.rollBackInterruptedAdds(), ['shop']);
  t.notOk(await store.exists('shop'));
  t.same([...(needs.get('shop') ?? [])], []);
});

t.test('an add that finishes leaves no mark; records from before the mark read as complete', async (t) => {
  const edges = fakeAppContext(t.testdir({}));
  edges.engine.images.set(IMAGE, 'name: shop\nexpose: [{proto: http, port: 80}]\n');
  const manager = new AppManager(edges.ctx);
  await manager.add({ image: IMAGE });
  t.notOk((await edges.store.read('shop')).adding, 'no mark once added');
  t.same(await manager.rollBackInterruptedAdds(), [], 'nothing to roll back');
  t.ok(await edges.store.exists('shop'));
});
