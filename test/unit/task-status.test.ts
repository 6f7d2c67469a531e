import t from 'tap';
import { failureReason, latestReason, runningCount, type TaskInfo } from '@minicloud/core';

const task = (n: number, state: string, extra: Partial<TaskInfo['Status']> = {}, desired = 'running'): TaskInfo => ({
  ID: `t${n}`,
  CreatedAt: `2026-01-01T00:00:0${n}Z`,
  UpdatedAt: `2026-01-01T00:00:0${n}Z`,
  DesiredState: desired,
  Status: { State: state, ...extra },
});

t.test('running tasks are those desired and actually running', async (t) => {
  t.equal(runningCount([task(1, 'running'), task(2, 'running', {}, 'shutdown'), task(3, 'starting')]), 1);
});

t.test('a missing image is a failure with the engine reason after repeated attempts', async (t) => {
  const err = { Err: 'No such image: nothere:1', Message: 'preparing' };
  t.equal(
    failureReason([task(1, 'rejected', err, 'shutdown'), task(2, 'rejected', err, 'shutdown')]),
    undefined,
    'two attempts are not yet a pattern',
  );
  const three = [task(1, 'rejected', err, 'shutdown'), task(2, 'rejected', err, 'shutdown'), task(3, 'rejected', err)];
  t.equal(failureReason(three), 'No such image: nothere:1');
});

t.test('no suitable node fails at once; a running task means no failure', async (t) => {
  const pending = task(1, 'pending', { Err: 'no suitable node (scheduling constraints not satisfied on 2 nodes)' });
  t.match(failureReason([pending]), /no suitable node/);
  t.equal(failureReason([pending, task(2, 'running')]), undefined);
});

t.test('exit codes are reported in the engine words; latestReason explains a timeout', async (t) => {
  const exits = [1, 2, 3].map((n) =>
    task(n, 'failed', { Err: 'task: non-zero exit (3)' }, n === 3 ? 'running' : 'shutdown'),
  );
  t.equal(failureReason(exits), 'task: non-zero exit (3)');
  t.equal(
    latestReason([task(1, 'starting'), task(2, 'failed', { Err: 'unhealthy container' }, 'shutdown')]),
    'unhealthy container',
  );
  t.equal(latestReason([task(1, 'running')]), undefined);
});

t.test('a crash loop fails even while a replacement waits out its restart delay', async (t) => {
  const crash = { Err: 'task: non-zero exit (3)' };
  const loop = [
    task(1, 'failed', crash, 'shutdown'),
    task(2, 'failed', crash, 'shutdown'),
    task(3, 'failed', crash, 'shutdown'),
    task(4, 'ready'),
  ];
  t.equal(failureReason(loop), 'task: non-zero exit (3)');
});

t.test('failures from before the deploy are history, not evidence', async (t) => {
  const crash = { Err: 'task: non-zero exit (1)' };
  const old = [
    task(1, 'failed', crash, 'shutdown'),
    task(2, 'failed', crash, 'shutdown'),
    task(3, 'failed', crash, 'shutdown'),
  ];
  t.equal(failureReason(old, 3, new Date('2026-01-01T00:00:05Z')), undefined);
  t.equal(failureReason(old, 3, new Date('2026-01-01T00:00:00Z')), 'task: non-zero exit (1)');
});
