import t from 'tap';
import {
  planStack,
  formatPlan,
  changedFields,
  isMinicloudError,
  type ActualObject,
  type DesiredStack,
  type DesiredService,
} from '@minicloud/core';

const managed = { 'minicloud.managed': 'true', 'com.docker.stack.namespace': 'shop' };

function service(key: string, hash: string, image = 'shop:1'): DesiredService {
  return {
    name: `shop_${key}`,
    key,
    hash,
    spec: {
      Name: `shop_${key}`,
      Labels: { ...managed, 'minicloud.spec-hash': hash },
      TaskTemplate: { ContainerSpec: { Image: image, Env: ['A=1'] } },
    },
  };
}

function desired(services: DesiredService[]): DesiredStack {
  return {
    name: 'shop',
    networks: [
      { name: 'shop_app', key: 'app', external: false, create: { Name: 'shop_app' } },
      { name: 'minicloud-proxy', key: 'proxy', external: true },
    ],
    volumes: [],
    secrets: [],
    configs: [],
    services,
  };
}

const proxy: ActualObject = { kind: 'network', id: 'n1', name: 'minicloud-proxy', labels: {} };

function actualService(d: DesiredService, extra: Partial<ActualObject> = {}): ActualObject {
  return {
    kind: 'service',
    id: `id-${d.key}`,
    name: d.name,
    labels: d.spec.Labels,
    spec: d.spec,
    version: 7,
    ...extra,
  };
}

t.test('a fresh stack: everything is created', async (t) => {
  const plan = planStack(desired([service('web', 'h1')]), [proxy]);
  t.same(formatPlan(plan), ['create    network shop_app', 'create    service shop_web']);
});

t.test('an unchanged re-deploy touches nothing', async (t) => {
  const web = service('web', 'h1');
  const app: ActualObject = { kind: 'network', id: 'n2', name: 'shop_app', labels: managed };
  const plan = planStack(desired([web]), [proxy, app, actualService(web)]);
  t.same(
    plan.actions.map((a) => a.op),
    ['unchanged', 'unchanged'],
  );
});

t.test('a changed service is updated, naming the fields that change, at the version read', async (t) => {
  const before = service('web', 'h1', 'shop:1');
  const after = service('web', 'h2', 'shop:2');
  const plan = planStack(desired([after]), [proxy, actualService(before)]);
  const update = plan.actions.find((a) => a.op === 'update');
  t.same(update, {
    op: 'update',
    kind: 'service',
    name: 'shop_web',
    id: 'id-web',
    version: 7,
    fields: ['TaskTemplate.ContainerSpec.Image'],
  });
  t.match(formatPlan(plan).join('\n'), 'update    service shop_web (TaskTemplate.ContainerSpec.Image)');
});

t.test('prune removes only managed services of this stack that the file dropped', async (t) => {
  const web = service('web', 'h1');
  const gone = service('old', 'h0');
  const foreign: ActualObject = {
    kind: 'service',
    id: 'x',
    name: 'shop_byhand',
    labels: { 'com.docker.stack.namespace': 'shop' },
  };
  const other: ActualObject = {
    kind: 'service',
    id: 'y',
    name: 'blog_web',
    labels: { ...managed, 'com.docker.stack.namespace': 'blog' },
  };
  const actual = [proxy, actualService(web), actualService(gone), foreign, other];
  t.same(
    planStack(desired([web]), actual, { prune: false }).actions.filter((a) => a.op === 'remove'),
    [],
  );
  const pruned = planStack(desired([web]), actual, { prune: true });
  t.same(
    pruned.actions.filter((a) => a.op === 'remove'),
    [{ op: 'remove', kind: 'service', name: 'shop_old', id: 'id-old' }],
  );
});

t.test('objects minicloud did not create are never updated: a clear conflict', async (t) => {
  const web = service('web', 'h1');
  const unmanaged: ActualObject = { kind: 'service', id: 'z', name: 'shop_web', labels: {}, spec: {}, version: 1 };
  const netClash: ActualObject = { kind: 'network', id: 'n9', name: 'shop_app', labels: {} };
  try {
    planStack(desired([web]), [proxy, unmanaged, netClash]);
    t.fail('expected a conflict');
  } catch (error) {
    t.ok(isMinicloudError(error));
    if (!isMinicloudError(error)) return;
    t.equal(error.code, 'MC_STACK_CONFLICT');
    t.same(
      error.details.map((d) => d.message),
      [
        'network "shop_app" exists and is not managed by minicloud (no minicloud.managed label)',
        'service "shop_web" exists and is not managed by minicloud (no minicloud.managed label)',
      ],
    );
  }
});

t.test('adoptStack takes over what docker stack deploy made for this stack, and only that', async (t) => {
  const web = service('web', 'h1');
  const byCli = { 'com.docker.stack.namespace': 'shop' };
  const cliService: ActualObject = { kind: 'service', id: 'z', name: 'shop_web', labels: byCli, spec: {}, version: 3 };
  const cliNet: ActualObject = { kind: 'network', id: 'n9', name: 'shop_app', labels: byCli };
  const plan = planStack(desired([web]), [proxy, cliService, cliNet], { adoptStack: true, prune: true });
  t.same(formatPlan(plan), ['unchanged network shop_app', 'update    service shop_web (Labels, Name, TaskTemplate)']);
  const other: ActualObject = { ...cliNet, labels: { 'com.docker.stack.namespace': 'blog' } };
  t.throws(
    () => planStack(desired([web]), [proxy, cliService, other], { adoptStack: true }),
    { code: 'MC_STACK_CONFLICT' },
    "another stack's object, or one with no stack label, stays refused",
  );
  t.throws(
    () => planStack(desired([web]), [proxy, cliService, cliNet]),
    { code: 'MC_STACK_CONFLICT' },
    'off by default',
  );
});

t.test(
  'a secret or config whose file changed is refused by name; one created without the hash label is kept',
  async (t) => {
    const withSecret = (hash: string): DesiredStack => ({
      ...desired([service('web', 'h1')]),
      secrets: [
        {
          kind: 'secret',
          name: 'shop_key',
          key: 'key',
          external: false,
          labels: { ...managed, 'minicloud.content-hash': hash },
        },
      ],
    });
    const had = (labels: Record<string, string>): ActualObject => ({
      kind: 'secret',
      id: 's1',
      name: 'shop_key',
      labels,
    });
    const same = planStack(withSecret('aaa'), [proxy, had({ ...managed, 'minicloud.content-hash': 'aaa' })]);
    t.match(
      same.actions.find((a) => a.kind === 'secret'),
      { op: 'unchanged', id: 's1' },
      'same content: unchanged',
    );
    const old = planStack(withSecret('aaa'), [proxy, had(managed)]);
    t.match(
      old.actions.find((a) => a.kind === 'secret'),
      { op: 'unchanged' },
      'no hash label (made before it): unchanged',
    );
    try {
      planStack(withSecret('bbb'), [proxy, had({ ...managed, 'minicloud.content-hash': 'aaa' })]);
      t.fail('expected an error');
    } catch (error) {
      if (!isMinicloudError(error)) throw error;
      t.equal(error.code, 'MC_STACK_OBJECT_CHANGED');
      t.same(
        error.details.map((d) => d.path),
        ['secrets.key'],
      );
      t.match(error.message, 'secret "shop_key" exists with other content');
    }
  },
);

t.test('a missing external network is refused before anything is created', async (t) => {
  try {
    planStack(desired([service('web', 'h1')]), []);
    t.fail('expected an error');
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_STACK_MISSING_EXTERNAL');
    t.match(error.message, 'external network "minicloud-proxy" does not exist');
  }
});

t.test('changedFields: leaves, whole lists, engine defaults ignored', async (t) => {
  t.same(changedFields({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 2] } }), []);
  t.same(changedFields({ a: { b: 1 } }, { a: { b: 2 } }), ['a.b']);
  t.same(changedFields({ Env: ['A=1', 'B=2'] }, { Env: ['A=1'] }), ['Env']);
  t.same(changedFields({ TaskTemplate: { ForceUpdate: 0, Runtime: 'container' } }, { TaskTemplate: {} }), []);
  t.same(changedFields({ x: 0, y: [] }, {}), [], 'empty engine defaults are not changes');
  t.same(changedFields({ x: 5 }, {}), ['x'], 'a value the new spec drops is a change');
  t.same(changedFields({ Labels: { 'minicloud.spec-hash': 'a' } }, { Labels: { 'minicloud.spec-hash': 'b' } }), []);
});
