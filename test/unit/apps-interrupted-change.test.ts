import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppManager } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';

// Issue 15, "the API dies in the middle of a job", for an update and a removal (the add has
// its own file). An update marks the record before it makes anything, and the API that starts
// next puts a still-marked app back as its record says; a removal the API died in is finished.

const V1 = 'registry.example.com/team/shop:1';
const V2 = 'registry.example.com/team/shop:2';

type Docker = {
  getService: (id: string) => { update: (...args: unknown[]) => Promise<unknown>; remove: () => Promise<unknown> };
};

/** An app `shop` at V1 (storage), and V2 that asks for a database too. */
async function shopAtV1(t: Test) {
  const dataDir = t.testdir({});
  const edges = fakeAppContext(dataDir);
  edges.engine.images.set(V1, 'name: shop\nexpose: [{proto: http, port: 80}]\nneeds: [storage]\n');
  edges.engine.images.set(V2, 'name: shop\nexpose: [{proto: http, port: 80}]\nneeds: [database, storage]\n');
  await new AppManager(edges.ctx).add({ image: V1 });
  const docker = edges.ctx.docker as unknown as Docker;
  const real = docker.getService.bind(docker);
  /** From now on the engine takes `step` on a service, then never answers again: the API "dies". */
  const dieAfter = (step: 'update' | 'remove') => {
    let died!: () => void;
    const reached = new Promise<void>((resolve) => (died = resolve));
    docker.getService = (id) => {
      const service = real(id);
      return {
        ...service,
        [step]: async (...args: unknown[]) => {
          await (service[step] as (...a: unknown[]) => Promise<unknown>)(...args);
          died();
          return new Promise<never>(() => undefined);
        },
      };
    };
    return reached;
  };
  /** The next API's engine answers. */
  const restart = () => {
    docker.getService = real;
    return new AppManager(edges.ctx);
  };
  const imageRunning = () =>
    (edges.engine.services.get('shop_web')?.Spec as { TaskTemplate: { ContainerSpec: { Image: string } } } | undefined)
      ?.TaskTemplate.ContainerSpec.Image;
  return { ...edges, dataDir, dieAfter, restart, imageRunning };
}

t.test('an update marks the record first, naming the needs it adds', async (t) => {
  const { ctx, store, needs, dieAfter, imageRunning } = await shopAtV1(t);
  const died = dieAfter('update');
  void new AppManager(ctx).update('shop', { image: V2 });
  await died;
  t.match(await store.read('shop'), { image: V1, needs: ['storage'], updating: { addedNeeds: ['database'] } });
  t.same([...needs.get('shop')!].sort(), ['database', 'storage'], 'the database was made');
  t.match(imageRunning(), /shop:2$/, 'and the engine was given the new version');
});

t.test('the next start rolls the update back: the old version deployed, the added database dropped', async (t) => {
  const { ctx, store, needs, dataDir, dieAfter, restart, imageRunning } = await shopAtV1(t);
  const died = dieAfter('update');
  void new AppManager(ctx).update('shop', { image: V2, env: { MODE: 'new' } });
  await died;
  const lines: string[] = [];
  const restarted = restart();
  t.same(await restarted.rollBackInterruptedUpdates((l) => lines.push(l)), ['shop']);
  t.match(lines[0], /rolling back the update of shop \(started .*\), which the API died in/);
  const record = await store.read('shop');
  t.notOk(record.updating, 'the mark is gone');
  t.match(record, { image: V1, needs: ['storage'], envKeys: [] });
  t.match(imageRunning(), /shop:1$/, 'the engine runs the version the record names');
  t.same([...needs.get('shop')!], ['storage'], 'the database the update made is dropped');
  const envFile = readFileSync(join(dataDir, 'secrets', 'apps', 'shop.env'), 'utf8');
  t.notMatch(envFile, /DATABASE_URL|MODE=/, 'and the env file has neither its URL nor the new value');
  t.same(await restarted.rollBackInterruptedUpdates(), [], 'a second call finds nothing to do');
  // The app takes changes again as any app.
  const again = await restarted.update('shop', { image: V2 });
  t.equal(again.rolledBack, false);
  t.match(await store.read('shop'), { image: V2, needs: ['storage', 'database'] });
});

t.test('an update that ends, well or badly, leaves no mark', async (t) => {
  const { ctx, store, restart } = await shopAtV1(t);
  const manager = new AppManager(ctx);
  await manager.update('shop', { env: { MODE: 'a' } });
  t.notOk((await store.read('shop')).updating, 'none once updated');
  const docker = ctx.docker as unknown as Docker;
  const real = docker.getService.bind(docker);
  docker.getService = (id) => ({
    ...real(id),
    update: async () => {
      throw new Error('engine: rpc error');
    },
  });
  await t.rejects(manager.update('shop', { env: { MODE: 'b' } }), /rpc error/);
  t.notOk((await store.read('shop')).updating, 'none after a failed update');
  t.same(await restart().rollBackInterruptedUpdates(), [], 'nothing to roll back');
});

t.test('a removal the API died in is finished at the next start', async (t) => {
  const { ctx, store, needs, dieAfter, restart } = await shopAtV1(t);
  const died = dieAfter('remove');
  void new AppManager(ctx).remove('shop', { purge: true });
  await died;
  t.match(await store.read('shop'), { state: 'removing', removal: { purge: true } });
  const lines: string[] = [];
  const restarted = restart();
  t.same(await restarted.finishInterruptedRemovals((l) => lines.push(l)), ['shop']);
  t.match(lines[0], /finishing the removal of shop/);
  t.notOk(await store.exists('shop'), 'the record is gone');
  t.same([...(needs.get('shop') ?? [])], [], 'and with the purge its storage');
  t.same(await restarted.finishInterruptedRemovals(), [], 'a second call finds nothing to do');
});

t.test('a removal that cannot finish at start stays removing, saying why', async (t) => {
  const { ctx, store, fail, dieAfter, restart } = await shopAtV1(t);
  const died = dieAfter('remove');
  void new AppManager(ctx).remove('shop', { purge: true });
  await died;
  fail.add('storage');
  const restarted = restart();
  await t.rejects(restarted.finishInterruptedRemovals(), { code: 'MC_APP_REMOVE_INCOMPLETE' });
  t.match(await store.read('shop'), { state: 'removing', removal: { left: [{ part: 'storage' }] } });
  fail.delete('storage');
  t.same(await restarted.finishInterruptedRemovals(), ['shop']);
  t.notOk(await store.exists('shop'));
});
