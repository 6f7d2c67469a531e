import t from 'tap';
import {
  assertNotRemoving,
  checkKeptDataChoice,
  finishCommand,
  keptDataPlan,
  readState,
  removalLeft,
  removalParts,
  startRemoval,
  type AppRecord,
} from '@minicloud/core';

// The pure parts of removing cleanly: the `removing` state a record carries, how old records
// read, and what to do with data an earlier app of the same name left.

const shop: AppRecord = {
  name: 'shop',
  state: 'active',
  image: 'registry.example.com/shop:1',
  domains: ['shop.example.com'],
  envKeys: [],
  replicas: 1,
  needs: ['database', 'storage'],
  manifest: {
    name: 'shop',
    expose: [{ proto: 'http', port: 80 }],
    needs: ['database', 'storage'],
    env: {},
    runners: [],
    resources: {},
    storage: { path: '/data' },
  },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

t.test('the parts a removal removes', async (t) => {
  t.same(removalParts(shop, false), ['routes', 'stack']);
  t.same(removalParts(shop, true), [
    'routes',
    'stack',
    'database',
    'storage',
    'certificate shop.example.com',
    'secrets',
  ]);
});

t.test('starting a removal: removing, every part left; a purge once started stays one', async (t) => {
  const at = new Date('2025-02-03T04:05:06.000Z');
  const first = startRemoval(shop, true, at);
  t.match(first, { state: 'removing', removal: { purge: true, startedAt: '2025-02-03T04:05:06.000Z' } });
  t.equal(first.removal?.left.length, 6);
  const failed = removalLeft(first, [{ part: 'database', reason: 'MC_SERVICE_UNAVAILABLE: ...' }]);
  t.same(failed.removal?.left, [{ part: 'database', reason: 'MC_SERVICE_UNAVAILABLE: ...' }]);
  const again = startRemoval(failed, false, new Date('2025-03-01T00:00:00.000Z'));
  t.equal(again.removal?.purge, true, 'sticky purge');
  t.equal(again.removal?.startedAt, '2025-02-03T04:05:06.000Z', 'keeps when it started');
  t.equal(finishCommand(again), 'minicloud app rm shop --purge');
  t.equal(finishCommand(startRemoval(shop, false)), 'minicloud app rm shop');
  t.equal(shop.state, 'active', 'the input is not changed');
});

t.test('a change to a removing app is refused, to an active one not', async (t) => {
  t.doesNotThrow(() => assertNotRemoving(shop));
  t.throws(() => assertNotRemoving(startRemoval(shop, false)), {
    code: 'MC_APP_REMOVING',
    status: 409,
    message: /`minicloud app rm shop`/,
    details: [{ path: 'name', message: 'is being removed: minicloud app rm shop finishes it' }],
  });
});

t.test('records without the fields (written by earlier versions) read as active', async (t) => {
  t.same(readState({}), { state: 'active' });
  t.same(readState({ state: 'active' }), { state: 'active' });
  t.same(readState({ state: 'removing' }), {
    state: 'removing',
    removal: { purge: false, startedAt: '1970-01-01T00:00:00.000Z', left: [] },
  });
  const removal = { purge: true, startedAt: '2025-01-01T00:00:00.000Z', left: [{ part: 'stack', reason: 'x' }] };
  t.same(readState({ state: 'removing', removal }), { state: 'removing', removal });
  t.same(readState({ removal }).state, 'removing', 'a removal without its state still counts');
});

t.test('kept data: refused without a choice, adopted or dropped with one', async (t) => {
  const existing = [
    { need: 'database' as const, what: 'database shop (or its user)' },
    { need: 'storage' as const, what: 'storage directory of shop' },
  ];
  t.same(keptDataPlan('shop', [], {}, 'hint'), { drop: [], adopt: [] }, 'nothing there: nothing to choose');
  t.throws(() => keptDataPlan('shop', existing, {}, 'Use --adopt or --purge-old.'), {
    code: 'MC_APP_DATA_EXISTS',
    status: 409,
    message:
      'data of an earlier app named shop exists: database shop (or its user), storage directory of shop. ' +
      'Nothing was changed. Use --adopt or --purge-old.',
    details: [
      { path: 'database', message: 'database shop (or its user) exists' },
      { path: 'storage', message: 'storage directory of shop exists' },
    ],
  });
  t.same(keptDataPlan('shop', existing, { adopt: true }, ''), { drop: [], adopt: ['database', 'storage'] });
  t.same(keptDataPlan('shop', existing, { purgeOld: true }, ''), { drop: ['database', 'storage'], adopt: [] });
  t.throws(() => checkKeptDataChoice({ adopt: true, purgeOld: true }), {
    code: 'MC_SETTINGS_INVALID',
    status: 400,
    details: [{ path: 'purgeOld', message: 'cannot be combined with adopt' }],
  });
  t.throws(() => keptDataPlan('shop', [], { adopt: true, purgeOld: true }, ''), { code: 'MC_SETTINGS_INVALID' });
});
