import t from 'tap';
import {
  dueAt,
  formatSchedule,
  isDue,
  isMinicloudError,
  nextDue,
  parseSchedule,
  resolvePolicy,
  DEFAULT_BACKUP_POLICY,
} from '@minicloud/core';

// Schedules are data and "is it due at T" is a pure function: the scheduler's timer only asks.

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

t.test('parse and format schedules', async (t) => {
  const ok: [string, string][] = [
    ['off', 'off'],
    ['daily', 'daily@03:00'],
    ['daily@00:00', 'daily@00:00'],
    ['daily@23:59', 'daily@23:59'],
    ['every 6h', 'every 6h'],
    ['every 30m', 'every 30m'],
    ['every 1h30m', 'every 90m'],
    ['every 2d', 'every 2d'],
  ];
  for (const [text, formatted] of ok) t.equal(formatSchedule(parseSchedule(text)), formatted, text);
  for (const bad of ['', 'weekly', 'daily@24:00', 'daily@3:00', 'every 10m', 'every 6', 'every -1h', '0 3 * * *']) {
    t.throws(() => parseSchedule(bad), { code: 'MC_BACKUP_POLICY_INVALID' }, JSON.stringify(bad));
  }
});

t.test('daily@03:00: due once per day after 03:00 UTC', async (t) => {
  const daily = parseSchedule('daily@03:00');
  const cases: [string, { lastSuccess?: string; lastAttempt?: string }, boolean][] = [
    ['2025-01-10T02:00:00Z', {}, true], // never backed up: at once
    ['2025-01-10T02:00:00Z', { lastSuccess: '2025-01-09T03:00:05Z' }, false], // today's slot not reached
    ['2025-01-10T03:00:00Z', { lastSuccess: '2025-01-09T03:00:05Z' }, true], // slot reached
    ['2025-01-10T03:01:00Z', { lastSuccess: '2025-01-10T03:00:05Z' }, false], // done for today
    ['2025-01-10T23:59:00Z', { lastSuccess: '2025-01-10T03:00:05Z' }, false],
    ['2025-01-12T12:00:00Z', { lastSuccess: '2025-01-09T03:00:05Z' }, true], // server was off: catch up once
    // Failed at 03:00: not again before 04:00, then yes.
    ['2025-01-10T03:30:00Z', { lastSuccess: '2025-01-09T03:00:05Z', lastAttempt: '2025-01-10T03:00:00Z' }, false],
    ['2025-01-10T04:00:00Z', { lastSuccess: '2025-01-09T03:00:05Z', lastAttempt: '2025-01-10T03:00:00Z' }, true],
    ['2025-01-10T03:30:00Z', { lastAttempt: '2025-01-10T03:00:00Z' }, false], // never succeeded, failed just now
  ];
  for (const [now, state, due] of cases) {
    const s = {
      ...(state.lastSuccess ? { lastSuccess: at(state.lastSuccess) } : {}),
      ...(state.lastAttempt ? { lastAttempt: at(state.lastAttempt) } : {}),
    };
    t.equal(isDue(daily, s, at(now)), due, `${now} ${JSON.stringify(state)}`);
  }
});

t.test('every 6h: since the last success', async (t) => {
  const every = parseSchedule('every 6h');
  const last = at('2025-01-10T00:00:00Z');
  t.equal(isDue(every, { lastSuccess: last }, at('2025-01-10T05:59:59Z')), false);
  t.equal(isDue(every, { lastSuccess: last }, at('2025-01-10T06:00:00Z')), true);
  t.equal(isDue(every, {}, at('2025-01-10T06:00:00Z')), true);
  t.equal(isDue(parseSchedule('off'), {}, at('2025-01-10T06:00:00Z')), false, 'off is never due');
});

t.test('next due time', async (t) => {
  const daily = parseSchedule('daily@03:00');
  const now = at('2025-01-10T10:00:00Z');
  t.same(nextDue(daily, { lastSuccess: at('2025-01-10T03:00:01Z') }, now), at('2025-01-11T03:00:00Z'));
  t.same(nextDue(daily, {}, now), now, 'due now');
  t.same(
    nextDue(daily, { lastSuccess: at('2025-01-09T03:00:00Z'), lastAttempt: at('2025-01-10T09:30:00Z') }, now),
    at('2025-01-10T10:30:00Z'),
    'after a failure: the retry',
  );
  t.same(
    nextDue(parseSchedule('every 6h'), { lastSuccess: at('2025-01-10T08:00:00Z') }, now),
    at('2025-01-10T14:00:00Z'),
  );
  t.equal(nextDue(parseSchedule('off'), {}, now), undefined);
});

t.test('what is due at T, longest waiting first', async (t) => {
  const now = at('2025-01-10T12:00:00Z');
  const daily = parseSchedule('daily');
  const due = dueAt(
    [
      { key: 'fresh', schedule: daily, state: { lastSuccess: at('2025-01-10T03:00:01Z') } },
      { key: 'old', schedule: daily, state: { lastSuccess: at('2025-01-08T03:00:01Z') } },
      { key: 'never', schedule: daily, state: {} },
      { key: 'older', schedule: daily, state: { lastSuccess: at('2025-01-01T03:00:01Z') } },
      {
        key: 'failing',
        schedule: daily,
        state: { lastSuccess: at('2025-01-08T03:00:01Z'), lastAttempt: at('2025-01-10T11:30:00Z') },
      },
      { key: 'manual', schedule: parseSchedule('off'), state: {} },
      {
        key: 'hourly',
        schedule: parseSchedule('every 1h'),
        state: { lastSuccess: new Date(now.getTime() - 2 * HOUR) },
      },
    ],
    now,
  );
  t.same(due, ['never', 'older', 'old', 'hourly']);
});

t.test('backup policies: defaults, partial changes, invalid values', async (t) => {
  t.same(resolvePolicy({}), DEFAULT_BACKUP_POLICY);
  t.same(resolvePolicy({ keep: { weekly: 8 } }), { ...DEFAULT_BACKUP_POLICY, keep: { daily: 7, weekly: 8 } });
  t.same(
    resolvePolicy(
      { schedule: 'every 12h', verify: false },
      { schedule: 'daily', keep: { daily: 1, weekly: 2 }, verify: true },
    ),
    {
      schedule: 'every 12h',
      keep: { daily: 1, weekly: 2 },
      verify: false,
    },
  );
  const bad: [unknown, string][] = [
    [{ schedule: 'hourly' }, 'schedule'],
    [{ keep: { daily: -1 } }, 'keep.daily'],
    [{ keep: { monthly: 3 } }, 'keep'],
    [{ verify: 'yes' }, 'verify'],
    [{ retention: 3 }, ''],
  ];
  for (const [input, path] of bad) {
    try {
      resolvePolicy(input);
      t.fail(`${JSON.stringify(input)} was accepted`);
    } catch (error) {
      t.ok(isMinicloudError(error) && error.code === 'MC_BACKUP_POLICY_INVALID', JSON.stringify(input));
      if (isMinicloudError(error))
        t.ok(
          error.details.some((d) => d.path === path || d.path.startsWith(path)),
          `names ${path || 'the document'}`,
        );
    }
  }
});
