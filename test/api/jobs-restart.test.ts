import t from 'tap';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JobRunner, openEvents, type JobRecord } from '@minicloud/api';
import { EventLog, MinicloudError, Sensitive } from '@minicloud/core';
import { admin, testApp } from './helpers/app.js';

// Issue 15, "the API dies in the middle of a job": jobs are kept in state/jobs.jsonl, and a
// runner opened on the file a dead process left reports its queued and running jobs as
// interrupted, with the step they reached.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the file holds `text` (the runner writes in the background, as a job goes). */
async function fileHolds(file: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(text)) return;
    await sleep(5);
  }
  throw new Error(`${file} never held ${text}`);
}

/** A process that dies mid-way: a finished job, one running at its second step, one queued behind it. */
async function deadProcess(file: string) {
  const runner = await JobRunner.open(file);
  const done = runner.start('app.update', 'blog', async (progress) => {
    progress('pulling the image');
    return { removed: 'blog' };
  });
  await runner.wait(done.id, 1000);
  const running = runner.start('app.add', 'shop', async (progress) => {
    progress('creating the database');
    progress('deploying the stack');
    await new Promise(() => undefined); // the process dies here
  });
  const queued = runner.start('app.update', 'shop', async () => undefined);
  await fileHolds(file, 'deploying the stack');
  return { done, running, queued };
}

t.test('a job running when the API died is interrupted at the step it reached; a queued one is not lost', async (t) => {
  const file = join(t.testdir({}), 'state/jobs.jsonl');
  const { done, running, queued } = await deadProcess(file);

  const next = await JobRunner.open(file);
  t.match(next.get(running.id), {
    state: 'interrupted',
    kind: 'app.add',
    app: 'shop',
    finishedAt: String,
    progress: [{ step: 'creating the database' }, { step: 'deploying the stack' }],
    problem: { code: 'MC_JOB_INTERRUPTED', detail: /while this job was running, after its step "deploying the stack"/ },
  });
  t.match(next.get(queued.id), {
    state: 'interrupted',
    progress: [],
    problem: { code: 'MC_JOB_INTERRUPTED', detail: /before this job started: nothing of it ran/ },
  });
  t.match(next.get(done.id), { state: 'succeeded', progress: [{ step: 'pulling the image' }] });
  t.equal(next.get(done.id)?.result, undefined, 'results are not kept: the platform has them');
  t.same(
    next.list().map((j) => j.id),
    [queued.id, running.id, done.id],
    'listed newest first, as before the restart',
  );
  await t.rejects(next.outcome(running.id), { code: 'MC_JOB_INTERRUPTED' });

  const told: [string, string, string][] = [];
  next.onFinish((job, actor) => told.push([job.id, job.state, actor]));
  t.same(
    told,
    [
      [running.id, 'interrupted', 'platform'],
      [queued.id, 'interrupted', 'platform'],
    ],
    'the listener hears of each interrupted job once, with who started it',
  );
  await next.idle();

  const third = await JobRunner.open(file);
  const again: string[] = [];
  third.onFinish((job) => again.push(job.id));
  t.same(again, [], 'a later restart does not report them again');
  t.equal(third.get(running.id)?.state, 'interrupted');
});

t.test('the API lists interrupted jobs and records each as an event', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'state/jobs.jsonl');
  const { running } = await deadProcess(file);
  const events = await openEvents({ log: await EventLog.open(join(dir, 'state/events.jsonl')), platform: 'test' });
  const { app } = await testApp({ jobs: await JobRunner.open(file), events });
  t.teardown(() => app.close());
  const one = await app.inject({ method: 'GET', url: `/v1/jobs/${running.id}`, headers: admin });
  t.equal(one.statusCode, 200);
  t.match(one.json(), { state: 'interrupted', problem: { code: 'MC_JOB_INTERRUPTED', status: 500 } });
  const list = await app.inject({ method: 'GET', url: '/v1/jobs', headers: admin });
  t.same(
    list.json().jobs.map((j: JobRecord) => j.state),
    ['interrupted', 'interrupted', 'succeeded'],
  );
  const recorded = events.list({ app: 'shop' });
  t.match(recorded, [
    {
      kind: 'app.update.interrupted',
      level: 'error',
      message: /app\.update shop interrupted: .*before this job started/,
    },
    {
      kind: 'app.add.interrupted',
      level: 'error',
      message: /app\.add shop interrupted: .*after its step "deploying the stack"/,
    },
  ]);
});

t.test('the file stays bounded: the newest finished jobs, however many ran', async (t) => {
  const file = join(t.testdir({}), 'jobs.jsonl');
  const runner = await JobRunner.open(file, { maxJobs: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const job = runner.start('app.update', `app${i % 4}`, async (progress) => {
      progress('one');
      progress('two');
    });
    ids.push(job.id);
    await runner.wait(job.id, 1000);
    await runner.idle();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    if (lines > 4 * 3) t.fail(`${lines} lines after job ${i}`);
  }
  const reopened = await JobRunner.open(file, { maxJobs: 3 });
  const listed = reopened.list().map((j) => j.id);
  t.ok(listed.length > 0 && listed.length <= 3, `${listed.length} jobs kept`);
  t.same(listed, ids.slice(-listed.length).reverse(), 'the newest ones, newest first');
  t.same(
    reopened.get(ids.at(-1)!)?.progress.map((p) => p.step),
    ['one', 'two'],
    'each step once',
  );
});

t.test('no secret reaches the file: no result, no error text, only the fields a job shows', async (t) => {
  const file = join(t.testdir({}), 'jobs.jsonl');
  const runner = await JobRunner.open(file);
  const secret = new Sensitive('s3cret-password-0123456789');
  const made = runner.start('app.add', 'shop', async (progress) => {
    progress('creating the database');
    return { name: 'shop', password: secret.reveal() } as unknown as JobRecord['result'];
  });
  const crashed = runner.start('app.update', 'shop', async () => {
    throw new Error(`mysql refused ${secret.reveal()}`);
  });
  const coded = runner.start('app.update', 'blog', async () => {
    throw new MinicloudError('MC_APP_NOT_FOUND', 'no app named blog');
  });
  for (const job of [made, crashed, coded]) await runner.wait(job.id, 1000);
  await runner.idle();
  t.equal(runner.get(made.id)?.state, 'succeeded');
  const text = readFileSync(file, 'utf8');
  t.notMatch(text, secret.reveal(), 'the secret is nowhere in the file');
  t.match(text, 'MC_APP_NOT_FOUND', "a coded problem is kept (it is what the job's page shows)");
  t.match(text, 'creating the database');
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is 0600');
});
