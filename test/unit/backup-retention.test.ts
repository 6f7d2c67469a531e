import t from 'tap';
import { isoWeek, planRetention, utcDay, type RetentionItem } from '@minicloud/core';

// Retention is a pure function: these tables say exactly which backups a policy deletes.

/** Backups at the given UTC times ('2025-01-31 03:00'), ids as the times. */
function backups(...times: string[]): RetentionItem[] {
  return times.map((time) => ({ id: time, time: new Date(`${time.replace(' ', 'T')}:00Z`) }));
}

t.test('ISO weeks and UTC days', async (t) => {
  const cases: [string, string][] = [
    ['2025-01-01', '2025-W01'], // a Wednesday: week 1 holds the year's first Thursday
    ['2024-12-30', '2025-W01'], // Monday of that week, still December
    ['2024-12-29', '2024-W52'], // the Sunday before
    ['2021-01-03', '2020-W53'], // 2020 had 53 weeks
    ['2026-06-15', '2026-W25'],
  ];
  for (const [date, week] of cases) t.equal(isoWeek(new Date(`${date}T12:00:00Z`)), week, date);
  t.equal(utcDay(new Date('2025-01-31T23:59:59.999Z')), '2025-01-31');
  t.equal(utcDay(new Date('2025-02-01T00:30:00+02:00')), '2025-01-31', 'the UTC day, not the local one');
});

t.test('retention table', async (t) => {
  const cases: {
    name: string;
    items: RetentionItem[];
    daily: number;
    weekly: number;
    keep: string[];
    delete: string[];
  }[] = [
    { name: 'nothing to do', items: [], daily: 7, weekly: 4, keep: [], delete: [] },
    {
      name: 'one a day, keep 3 daily: the 3 newest days',
      items: backups(
        '2025-01-01 03:00',
        '2025-01-02 03:00',
        '2025-01-03 03:00',
        '2025-01-04 03:00',
        '2025-01-05 03:00',
      ),
      daily: 3,
      weekly: 0,
      keep: ['2025-01-05 03:00', '2025-01-04 03:00', '2025-01-03 03:00'],
      delete: ['2025-01-02 03:00', '2025-01-01 03:00'],
    },
    {
      name: 'several a day: the newest of each day counts',
      items: backups(
        '2025-01-05 01:00',
        '2025-01-05 13:00',
        '2025-01-05 23:00',
        '2025-01-04 09:00',
        '2025-01-04 21:00',
      ),
      daily: 2,
      weekly: 0,
      keep: ['2025-01-05 23:00', '2025-01-04 21:00'],
      delete: ['2025-01-05 13:00', '2025-01-05 01:00', '2025-01-04 09:00'],
    },
    {
      name: 'days without backups do not use up the count',
      items: backups('2025-01-01 03:00', '2025-01-10 03:00', '2025-01-20 03:00'),
      daily: 2,
      weekly: 0,
      keep: ['2025-01-20 03:00', '2025-01-10 03:00'],
      delete: ['2025-01-01 03:00'],
    },
    {
      name: 'weekly keeps the newest of each ISO week (Mon-Sun)',
      // 2025-01-05 is a Sunday (W01), 2025-01-06 a Monday (W02).
      items: backups(
        '2024-12-30 03:00',
        '2025-01-03 03:00',
        '2025-01-05 03:00',
        '2025-01-06 03:00',
        '2025-01-08 03:00',
      ),
      daily: 0,
      weekly: 2,
      keep: ['2025-01-08 03:00', '2025-01-05 03:00'],
      delete: ['2025-01-06 03:00', '2025-01-03 03:00', '2024-12-30 03:00'],
    },
    {
      name: 'daily and weekly together; kept for both counts once',
      items: backups(
        ...Array.from({ length: 21 }, (_, i) => `2025-01-${String(i + 1).padStart(2, '0')} 03:00`), // Jan 1-21
      ),
      daily: 3,
      weekly: 3,
      // daily: 21, 20, 19; weekly: W03 ends Sun 19 (newest in W04 is 21), W03 -> 19, W02 -> 12.
      keep: ['2025-01-21 03:00', '2025-01-20 03:00', '2025-01-19 03:00', '2025-01-12 03:00'],
      delete: [
        ...Array.from({ length: 18 }, (_, i) => `2025-01-${String(18 - i).padStart(2, '0')} 03:00`).filter(
          (d) => d !== '2025-01-12 03:00',
        ),
      ],
    },
    {
      name: 'a policy of 0 and 0 still keeps the newest backup',
      items: backups('2025-01-01 03:00', '2025-01-02 03:00'),
      daily: 0,
      weekly: 0,
      keep: ['2025-01-02 03:00'],
      delete: ['2025-01-01 03:00'],
    },
    {
      name: 'fewer backups than the policy: nothing is deleted',
      items: backups('2025-01-01 03:00', '2025-01-02 03:00'),
      daily: 7,
      weekly: 4,
      keep: ['2025-01-02 03:00', '2025-01-01 03:00'],
      delete: [],
    },
  ];
  for (const c of cases) {
    // The input order must not matter.
    const plan = planRetention([...c.items].reverse(), { daily: c.daily, weekly: c.weekly });
    t.same(
      plan.keep.map((k) => k.id),
      c.keep,
      `${c.name}: keeps`,
    );
    t.same(plan.delete, c.delete, `${c.name}: deletes`);
    t.equal(plan.keep.length + plan.delete.length, c.items.length, `${c.name}: every backup is decided once`);
  }
});

t.test('the reasons say why each backup stays', async (t) => {
  const plan = planRetention(backups('2025-01-05 03:00', '2025-01-04 03:00'), { daily: 2, weekly: 1 });
  t.same(plan.keep, [
    { id: '2025-01-05 03:00', reasons: ['newest', 'daily 2025-01-05', 'weekly 2025-W01'] },
    { id: '2025-01-04 03:00', reasons: ['daily 2025-01-04'] },
  ]);
});
