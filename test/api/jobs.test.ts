import t from 'tap';
import { JobRunner } from '@minicloud/api';
import { MinicloudError } from '@minicloud/core';
import { admin, testApp } from './helpers/app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a job goes queued -> running -> succeeded with its progress lines and result', async (t) => {
  const runner = new JobRunner();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const job = runner.start('app.update', 'web', async (progress) => {
    progress('pulling');
    await gate;
    progress('deploying');
    return { removed: 'web' };
  });
  t.equal(job.state, 'queued');
  await sleep(5);
  t.equal(runner.get(job.id)?.state, 'running');
  t.same(
    runner.get(job.id)?.progress.map((p) => p.step),
    ['pulling'],
  );
  const early = await runner.wait(job.id, 20);
  t.equal(early?.state, 'running', 'wait returns after its timeout when the job is still running');
  release();
  const done = await runner.wait(job.id, 1000);
  t.match(done, { state: 'succeeded', result: { removed: 'web' }, startedAt: String, finishedAt: String });
  t.same(
    done?.progress.map((p) => p.step),
    ['pulling', 'deploying'],
  );
});

t.test('a failed job keeps its error as problem details; outcome() rethrows it', async (t) => {
  const runner = new JobRunner();
  const job = runner.start('app.add', 'x', async () => {
    throw new MinicloudError('MC_APP_EXISTS', 'an app named x exists already');
  });
  await t.rejects(runner.outcome(job.id), { code: 'MC_APP_EXISTS' });
  t.match(runner.get(job.id), { state: 'failed', problem: { status: 409, code: 'MC_APP_EXISTS', detail: /exists/ } });
  const crash = runner.start('app.add', 'y', async () => {
    throw new Error('secret internals');
  });
  await runner.wait(crash.id, 1000);
  t.match(runner.get(crash.id)?.problem, { status: 500, code: 'MC_INTERNAL' });
  t.notMatch(JSON.stringify(runner.get(crash.id)), /secret internals/, 'unexpected errors do not leak their message');
});

t.test("one app's jobs run in order; at most `concurrency` run at once", async (t) => {
  const runner = new JobRunner({ concurrency: 2 });
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  const work = (name: string, ms: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    order.push(`start ${name}`);
    await sleep(ms);
    order.push(`end ${name}`);
    running--;
    return undefined;
  };
  const a1 = runner.start('app.update', 'a', work('a1', 30));
  runner.start('app.update', 'a', work('a2', 5));
  runner.start('app.update', 'b', work('b1', 5));
  runner.start('app.update', 'c', work('c1', 5));
  await runner.idle();
  t.ok(order.indexOf('end a1') < order.indexOf('start a2'), 'a2 waits for a1');
  t.equal(peak, 2);
  t.equal(runner.list()[3]?.id, a1.id, 'newest first');
  t.equal(runner.list('a').length, 2);
});

t.test('finished jobs are forgotten after keepMs', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const runner = new JobRunner({ keepMs: 1000, now: () => new Date(now) });
  const old = runner.start('app.add', 'a', async () => undefined);
  await runner.idle();
  now += 5000;
  runner.start('app.add', 'b', async () => undefined);
  t.equal(runner.get(old.id), undefined);
});

t.test('GET /v1/jobs and /v1/jobs/{id}: long-poll with ?wait, 404 for unknown ids, 400 for a bad wait', async (t) => {
  const { app } = await testApp({ fake: { stepMs: 50 } });
  t.teardown(() => app.close());
  const started = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: admin,
    payload: { image: 'registry.example.com/team/shop:1' },
  });
  const id = started.json().id;
  const now = await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: admin });
  t.equal(now.statusCode, 200);
  t.match(now.json().state, /queued|running/);
  const t0 = Date.now();
  const done = await app.inject({ method: 'GET', url: `/v1/jobs/${id}?wait=10`, headers: admin });
  t.ok(Date.now() - t0 < 8000, 'answers as soon as the job ends, not at the 10 s wait');
  t.match(done.json(), {
    id,
    kind: 'app.add',
    app: 'registry.example.com/team/shop:1',
    state: 'succeeded',
    result: { name: 'shop' },
  });
  const list = await app.inject({ method: 'GET', url: '/v1/jobs', headers: admin });
  t.same(
    list.json().jobs.map((j: { id: string }) => j.id),
    [id],
  );
  const missing = await app.inject({ method: 'GET', url: '/v1/jobs/does-not-exist', headers: admin });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'MC_JOB_NOT_FOUND' });
  const badWait = await app.inject({ method: 'GET', url: `/v1/jobs/${id}?wait=600`, headers: admin });
  t.equal(badWait.statusCode, 400);
  t.same(badWait.json().errors, [{ field: 'querystring.wait', message: 'must be a number of seconds from 0 to 60' }]);
});
