// Which backups to keep: a pure function of the complete backups and the policy, so the
// rule is table-tested and the effect (deleting folders) is a thin loop elsewhere.
//
// The rule is restic's `forget --keep-daily N --keep-weekly M`:
// - daily: for each of the N most recent UTC days that have backups, keep the newest of that day;
// - weekly: for each of the M most recent ISO weeks (UTC) that have backups, keep the newest of that week;
// - the newest backup is always kept, whatever the policy says;
// - everything else is deleted. A backup kept for two reasons counts once.
// Days without a backup do not use up the count: a server that was off for a week still
// keeps N daily backups.

export interface RetentionPolicy {
  daily: number;
  weekly: number;
}

export interface RetentionItem {
  id: string;
  time: Date;
}

export interface RetentionPlan {
  /** Newest first, each with why it stays. */
  keep: { id: string; reasons: string[] }[];
  /** Newest first. */
  delete: string[];
}

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4 };

/** 2025-01-31 */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** ISO 8601 week of the UTC date, e.g. 2025-W05 (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(time: Date): string {
  const d = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  const weekday = d.getUTCDay() || 7; // Monday 1 ... Sunday 7
  d.setUTCDate(d.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function planRetention(backups: readonly RetentionItem[], policy: RetentionPolicy): RetentionPlan {
  const sorted = [...backups].sort((a, b) => b.time.getTime() - a.time.getTime() || b.id.localeCompare(a.id));
  const reasons = new Map<string, string[]>();
  const keep = (id: string, why: string) => reasons.set(id, [...(reasons.get(id) ?? []), why]);

  const bucketed = (count: number, bucket: (t: Date) => string, label: string) => {
    let left = count;
    let last: string | undefined;
    for (const item of sorted) {
      if (left <= 0) break;
      const key = bucket(item.time);
      if (key === last) continue;
      last = key;
      keep(item.id, `${label} ${key}`);
      left--;
    }
  };
  if (sorted[0]) keep(sorted[0].id, 'newest');
  bucketed(policy.daily, utcDay, 'daily');
  bucketed(policy.weekly, isoWeek, 'weekly');

  return {
    keep: sorted.filter((b) => reasons.has(b.id)).map((b) => ({ id: b.id, reasons: reasons.get(b.id)! })),
    delete: sorted.filter((b) => !reasons.has(b.id)).map((b) => b.id),
  };
}
