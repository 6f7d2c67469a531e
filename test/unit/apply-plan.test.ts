import t from 'tap';
import { formatApplyPlan, planApply, type CurrentApp, type DesiredApp } from '@minicloud/core';

function desired(name: string, over: Partial<DesiredApp> = {}): DesiredApp {
  return {
    name,
    image: `registry.example.com/${name}:1`,
    domains: [`${name}.example.com`],
    envKeys: ['API_KEY'],
    replicas: 1,
    needs: ['database'],
    ...over,
  };
}

function current(name: string, over: Partial<CurrentApp> = {}): CurrentApp {
  return { ...desired(name), env: { API_KEY: 'k1' }, ...over };
}

t.test('an app the platform does not run is created; one that matches is unchanged', async (t) => {
  const plan = planApply(
    [desired('blog'), desired('shop')],
    [current('shop')],
    { blog: { API_KEY: 'b' } },
    {
      prune: false,
    },
  );
  t.same(
    plan.apps.map((e) => [e.app, e.action]),
    [
      ['blog', 'create'],
      ['shop', 'unchanged'],
    ],
  );
  t.same(plan.apps[1]!.changes, []);
  t.ok(plan.apps[0]!.changes.some((c) => c.field === 'env.API_KEY' && c.secret));
});

t.test('an update lists each field that differs; lists compare as sets', async (t) => {
  const plan = planApply(
    [
      desired('shop', {
        image: 'registry.example.com/shop:2',
        replicas: 3,
        domains: ['b.example.com', 'shop.example.com'],
      }),
    ],
    [current('shop', { domains: ['shop.example.com', 'b.example.com'] })],
    {},
    { prune: false },
  );
  const [entry] = plan.apps;
  t.equal(entry!.action, 'update');
  t.same(entry!.changes, [
    { field: 'image', from: 'registry.example.com/shop:1', to: 'registry.example.com/shop:2' },
    { field: 'replicas', from: 1, to: 3 },
  ]);
});

t.test('an env value given at apply time that differs is a secret change, its value never in the plan', async (t) => {
  const plan = planApply(
    [desired('shop')],
    [current('shop')],
    { shop: { API_KEY: 'k2-very-secret' } },
    { prune: false },
  );
  t.same(plan.apps[0]!.changes, [{ field: 'env.API_KEY', secret: true }]);
  t.notMatch(JSON.stringify(plan), /k2-very-secret|k1/);
  t.match(formatApplyPlan(plan)[0]![2], /env\.API_KEY \(secret differs\)/);
});

t.test('a variable the directory dropped is an env change too', async (t) => {
  const plan = planApply([desired('shop', { envKeys: [] })], [current('shop')], {}, { prune: false });
  t.same(plan.apps[0]!.changes, [{ field: 'env.API_KEY', secret: true }]);
});

t.test('an app gone from the directory is removed only with prune', async (t) => {
  const kept = planApply([], [current('old')], {}, { prune: false });
  t.same(kept.apps, [{ app: 'old', action: 'skip', changes: [], note: 'remove skipped: needs --prune' }]);
  t.same(formatApplyPlan(kept)[0]!.slice(0, 2), ['old', 'remove (skipped)']);
  const pruned = planApply([], [current('old')], {}, { prune: true });
  t.same(pruned.apps, [{ app: 'old', action: 'remove', changes: [] }]);
});

t.test('a need the directory drops is detached only with prune', async (t) => {
  const plan = planApply([desired('shop', { needs: [] })], [current('shop')], {}, { prune: false });
  t.equal(plan.apps[0]!.action, 'update');
  t.equal(plan.apps[0]!.note, 'need removal skipped: needs --prune');
  t.notOk(planApply([desired('shop', { needs: [] })], [current('shop')], {}, { prune: true }).apps[0]!.note);
});

t.test('a missing env value names app and variable, and fails the whole plan', async (t) => {
  t.throws(() => planApply([desired('blog'), desired('shop')], [current('shop')], {}, { prune: true }), {
    code: 'MC_CONFIG_INVALID',
    message: /blog\.env\.API_KEY/,
    details: [{ path: 'apps.blog.env.API_KEY', message: /secrets\/blog\/API_KEY or MINICLOUD_SECRET_BLOG_API_KEY/ }],
  });
});
