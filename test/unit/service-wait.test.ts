import t from 'tap';
import { isMinicloudError, isUnreachable, ServiceUnreachable, waitForService } from '@minicloud/core';

// The bounded wait for a shared service whose task restarts: only "cannot reach it" is waited
// out, for at most the given time; an answer from the service goes to the caller at once.

function failing(times: number, error: () => Error) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    call: async () => {
      calls++;
      if (calls <= times) throw error();
      return 'done';
    },
  };
}

t.test('an unreachable service that comes back within the wait: the call goes through', async (t) => {
  const waits: string[] = [];
  const f = failing(3, () => new ServiceUnreachable('connect ECONNREFUSED'));
  const result = await waitForService('MariaDB', f.call, {
    timeoutMs: 5_000,
    intervalMs: 10,
    onWait: (r) => waits.push(r),
  });
  t.equal(result, 'done');
  t.equal(f.calls, 4);
  t.same(waits, ['connect ECONNREFUSED'], 'told once that it waits, with why');
});

t.test('one that stays away: MC_SERVICE_UNAVAILABLE naming it, after the bound', async (t) => {
  const f = failing(Infinity, () => new ServiceUnreachable('getaddrinfo ENOTFOUND mariadb'));
  const started = Date.now();
  const error = await waitForService('MariaDB at mariadb:3306', f.call, { timeoutMs: 300, intervalMs: 50 }).catch(
    (e: unknown) => e,
  );
  const took = Date.now() - started;
  t.ok(isMinicloudError(error));
  t.match(error, {
    code: 'MC_SERVICE_UNAVAILABLE',
    status: 503,
    message:
      'MariaDB at mariadb:3306 could not be reached for 300 ms (getaddrinfo ENOTFOUND mariadb); ' +
      'its task may be restarting: try again once it runs',
    details: [{ path: 'MariaDB at mariadb:3306', message: 'is unreachable (getaddrinfo ENOTFOUND mariadb)' }],
  });
  t.ok(took >= 280 && took < 2_000, `bounded: ${took} ms`);
  t.ok(f.calls >= 3, `tried again meanwhile (${f.calls} calls)`);
});

t.test('any other error (an SQL error, a refused password) is not waited for', async (t) => {
  const denied = Object.assign(new Error("Access denied for user 'root'"), { code: 'ER_ACCESS_DENIED_ERROR' });
  const f = failing(Infinity, () => denied);
  await t.rejects(waitForService('MariaDB', f.call, { timeoutMs: 5_000, intervalMs: 10 }), denied);
  t.equal(f.calls, 1, 'one attempt');
});

t.test('a wait of 0: the first unreachable answer is final', async (t) => {
  const f = failing(Infinity, () => new ServiceUnreachable('ECONNREFUSED'));
  await t.rejects(waitForService('RabbitMQ', f.call, { timeoutMs: 0 }), {
    code: 'MC_SERVICE_UNAVAILABLE',
    message: /^RabbitMQ could not be reached \(ECONNREFUSED\)/,
  });
  t.equal(f.calls, 1);
});

t.test('which errors count as unreachable', async (t) => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  for (const code of [
    'ENOTFOUND',
    'EAI_AGAIN',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'PROTOCOL_CONNECTION_LOST',
    'EHOSTUNREACH',
  ])
    t.ok(isUnreachable(coded(code)), code);
  t.ok(isUnreachable(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') })), "fetch's cause");
  for (const code of ['ER_ACCESS_DENIED_ERROR', 'ER_PARSE_ERROR', 'ER_DBACCESS_DENIED_ERROR'])
    t.notOk(isUnreachable(coded(code)), code);
  t.notOk(isUnreachable(new Error('no code')));
  t.notOk(isUnreachable(undefined));
});
