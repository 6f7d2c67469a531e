import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppManager,
  markIdleServices,
  readIdleServices,
  Sensitive,
  serviceReplicas,
  ServiceDemand,
  type NeedName,
  type SharedServices,
} from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { appRecord } from '../helpers/app-record.js';

// Shared services on demand (issue 14): which replicas platform init renders, and the app
// lifecycle starting a kind's service before it provisions and stopping it once no app needs
// it and it holds no app's data. The swarm side (scaling, health) is tested on the engine.

t.test('serviceReplicas: 1 while an app needs the service or it may hold data, 0 when idle or never run', async (t) => {
  const none = { appNeeds: [], idle: new Set<string>(), withData: new Set<string>() };
  t.same(serviceReplicas(none), { mariadb: 0, rabbitmq: 0, postgres: 0, redis: 0 }, 'a new install runs none');
  t.same(
    serviceReplicas({ ...none, appNeeds: [['database', 'storage'], ['redis']] }),
    { mariadb: 1, rabbitmq: 0, postgres: 0, redis: 1 },
    'the ones apps need',
  );
  t.same(
    serviceReplicas({ ...none, withData: new Set(['mariadb', 'rabbitmq']), idle: new Set(['rabbitmq']) }),
    { mariadb: 1, rabbitmq: 0, postgres: 0, redis: 0 },
    'data and no idle mark (an install from before services ran on demand): it runs until the API looks',
  );
  t.same(
    serviceReplicas({ ...none, appNeeds: [['postgres']], idle: new Set(['postgres']) }),
    { mariadb: 0, rabbitmq: 0, postgres: 1, redis: 0 },
    'an app that needs it wins over an idle mark',
  );
});

t.test('the idle file: written only when it changes, unreadable reads as nothing idle', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'state', 'services.json');
  t.same([...(await readIdleServices(file))], [], 'absent: nothing idle');
  await markIdleServices(file, { mariadb: 0, rabbitmq: 1, redis: 0 });
  t.same([...(await readIdleServices(file))].sort(), ['mariadb', 'redis']);
  writeFileSync(file, '{ not json');
  t.same([...(await readIdleServices(file))], [], 'broken: nothing idle, so nothing holding data is left stopped');
});

/** Records what the lifecycle asks of the services, in order; `idle` as the file would say. */
function fakeServices(log: string[], idle = new Set<string>()): SharedServices {
  return {
    isIdle: async (service) => idle.has(service),
    start: async (service) => {
      idle.delete(service);
      log.push(`start ${service}`);
    },
    stop: async (service) => {
      idle.add(service);
      log.push(`stop ${service}`);
    },
    replicas: async (service) => (idle.has(service) ? 0 : 1),
  };
}

// postgres and redis idle, as platform init marks them when no app needs them.
async function platform(t: Test, idle = new Set(['postgres', 'redis'])) {
  const edges = fakeAppContext(t.testdir({}));
  const log: string[] = [];
  edges.ctx.services = fakeServices(log, idle);
  for (const [name, needs] of [
    ['shop', ['database', 'messagebus']],
    ['blog', ['database']],
  ] as [string, NeedName[]][]) {
    await edges.store.write(appRecord(name, needs), { stackYaml: 'services: {}\n' });
    await edges.store.writeSecrets(name, { database: new Sensitive('pw') }, new Sensitive('DATABASE_URL=x\n'));
    edges.needs.set(name, new Set(needs));
  }
  return { ...edges, log, manager: new AppManager(edges.ctx) };
}

t.test('removing the last app that needs a service stops it; one still needed keeps running', async (t) => {
  const { manager, log } = await platform(t);
  await manager.remove('shop', { purge: true });
  t.same(log, ['stop rabbitmq'], 'rabbitmq (shop alone needed it) stops, mariadb (blog needs it) runs');
  await manager.remove('blog', { purge: true });
  t.same(log, ['stop rabbitmq', 'stop mariadb'], 'the last app gone: mariadb stops too');
});

t.test('a remove without purge keeps the service running: it holds the kept data', async (t) => {
  const { manager, log, needs } = await platform(t);
  await manager.remove('blog', { purge: true });
  await manager.remove('shop');
  t.ok(needs.get('shop')?.has('database'), 'the data is kept');
  t.same(log, [], 'nothing stops: both services hold data of shop');
});

t.test('a need attached to an app starts its service before its share is made', async (t) => {
  const { manager, log, ctx } = await platform(t, new Set(['redis', 'postgres']));
  const ensure = ctx.redis!.ensure.bind(ctx.redis);
  (ctx.redis as unknown as { ensure: typeof ensure }).ensure = async (app, password) => {
    log.push(`ensure redis for ${app}`);
    return ensure(app, password);
  };
  await manager.attachNeed('blog', 'redis');
  t.same(log.slice(0, 2), ['start redis', 'ensure redis for blog']);
  t.notOk(log.includes('start postgres'), 'a service no app asked for stays idle');
});

t.test('an idle service holds nothing: it is not asked whether an app left data in it', async (t) => {
  const { ctx } = await platform(t, new Set(['postgres']));
  ctx.postgres!.exists = async () => {
    throw new Error('postgres is stopped: asking it would wait for it');
  };
  const demand = new ServiceDemand(ctx);
  const { postgres, database } = await import('@minicloud/core').then((core) => ({
    postgres: core.needKind('postgres'),
    database: core.needKind('database'),
  }));
  t.equal(await demand.idle(postgres), true);
  t.equal(await demand.idle(database), false);
  const manager = new AppManager(ctx);
  await t.resolves(manager.remove('shop', { purge: true }), 'a purge does not look into an idle service');
});

t.test('a service an operation in flight uses is never stopped under it', async (t) => {
  const { ctx, log, needs } = await platform(t);
  // Both apps gone with their data: nothing keeps either service but the operation below.
  await ctx.store.remove('blog');
  await ctx.store.remove('shop');
  needs.clear();
  const demand = new ServiceDemand(ctx);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const using = demand.using(
    ['database'],
    () => undefined,
    () => gate,
  );
  // The settle waits for the start before it (one queue), not for the operation's work.
  const settled = await demand.settle();
  release();
  await using;
  t.same(settled, ['rabbitmq'], 'the claimed mariadb is skipped');
  t.same(log, ['start mariadb', 'stop rabbitmq']);
  t.same(await demand.settle(), ['mariadb'], 'once the operation is done, it stops');
});

t.test('a service that cannot tell whether it holds data is never stopped', async (t) => {
  const { ctx, log, needs } = await platform(t);
  delete (ctx.database as { holdsShares?: unknown }).holdsShares;
  await ctx.store.remove('blog');
  await ctx.store.remove('shop');
  needs.clear();
  const stopped = await new ServiceDemand(ctx).settle();
  t.notOk(stopped.includes('mariadb'), 'mariadb runs on');
  t.notOk(log.includes('stop mariadb'));
});

t.test('the shared services as the API shows them: state, needs, and the apps that need each', async (t) => {
  const { manager } = await platform(t);
  t.same(await manager.sharedServices(), [
    { service: 'mariadb', needs: ['database'], state: 'running', apps: ['blog', 'shop'] },
    { service: 'rabbitmq', needs: ['messagebus'], state: 'running', apps: ['shop'] },
    { service: 'postgres', needs: ['postgres'], state: 'idle', apps: [] },
    { service: 'redis', needs: ['redis'], state: 'idle', apps: [] },
  ]);
});

t.test('with a linger, a service no app needs keeps running that long, then stops', async (t) => {
  const { ctx, log } = await platform(t);
  ctx.servicesLingerMs = 150;
  const manager = new AppManager(ctx);
  const lines: string[] = [];
  await manager.remove('shop', { purge: true }, (l) => lines.push(l));
  t.same(log, [], 'nothing stops with the removal');
  t.match(lines.join('\n'), /shared services no app needs any more stop in \d+ min/);
  // The timer's settle runs when the machine lets it: waited for, within a bound.
  for (const deadline = Date.now() + 10_000; log.length === 0 && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 20));
  t.same(log, ['stop rabbitmq'], 'rabbitmq stops once the linger has passed; mariadb (blog) runs');
});

t.test('an app that needs the service again within the linger keeps it running', async (t) => {
  const { ctx, log } = await platform(t);
  ctx.servicesLingerMs = 150;
  const manager = new AppManager(ctx);
  await manager.remove('shop', { purge: true });
  await manager.attachNeed('blog', 'messagebus');
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(
    log.includes('stop rabbitmq'),
    `rabbitmq is needed by blog now: settle looks again and leaves it (${log.join(', ')})`,
  );
});

t.test('settleServices stops at once what lingers', async (t) => {
  const { ctx, log } = await platform(t);
  ctx.servicesLingerMs = 60_000;
  const manager = new AppManager(ctx);
  await manager.remove('shop', { purge: true });
  t.same(await manager.settleServices(), ['rabbitmq']);
  t.same(log, ['stop rabbitmq']);
});
