import t from 'tap';
import { AppManager, retryUntilDone, type AppContext } from '@minicloud/core';

// Start-up tasks that must not hold up the start (the API's repair of old database grants
// while MariaDB may still be starting): tried until they succeed once, failures told once.

// The retry timer does not hold the process open (the API's server does); here this does.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

t.test('a task that succeeds is run once, and its result handed on', async (t) => {
  let calls = 0;
  const results: number[] = [];
  const task = retryUntilDone(async () => ++calls, { retryMs: 5, onDone: (n) => results.push(n) });
  await task.done;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(calls, 1);
  t.same(results, [1]);
});

t.test('a failing task is tried again until it succeeds; each reason is told once', async (t) => {
  const outcomes = ['down', 'down', 'refused', 'ok'];
  const errors: string[] = [];
  let calls = 0;
  const task = retryUntilDone(
    async () => {
      const outcome = outcomes[calls++]!;
      if (outcome !== 'ok') throw new Error(outcome);
      return outcome;
    },
    { retryMs: 5, onError: (e) => errors.push(e.message) },
  );
  await task.done;
  t.equal(calls, 4);
  t.same(errors, ['down', 'refused']);
});

t.test('the first attempt does not hold up the caller, and stop ends the retries', async (t) => {
  let calls = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const task = retryUntilDone(
    async () => {
      calls++;
      await gate;
      throw new Error('still down');
    },
    { retryMs: 5 },
  );
  t.equal(calls, 1, 'started at once');
  const stopped = task.stop();
  release();
  await stopped;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(calls, 1, 'no attempt after stop');
});

t.test("AppManager hands the grant repair to the platform's database", async (t) => {
  const repaired = [{ user: 'my_shop', database: 'my_shop', alsoMatched: ['myxshop'] }];
  const ctx = { database: { repairGrants: async () => repaired } } as unknown as AppContext;
  t.same(await new AppManager(ctx).repairDatabaseGrants(), repaired);
});
