import { MinicloudError } from '../errors.js';

// When a backup is due: schedules are data (a short string in the app's policy file), and
// "is it due at time T" is a pure function of the schedule, the last success, the last
// attempt and T. The scheduler's timer loop only asks it.
//
//   off            never on its own (manual backups only)
//   daily          every day at 03:00 UTC (the default)
//   daily@HH:MM    every day at that UTC time
//   every DURATION since the last success, e.g. `every 6h`, `every 30m`, `every 2d` (at least 15m)

export type Schedule = { kind: 'off' } | { kind: 'daily'; minute: number } | { kind: 'every'; ms: number };

export const DEFAULT_SCHEDULE = 'daily';
const DAILY_DEFAULT_MINUTE = 3 * 60;
const MIN_INTERVAL_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** After a failed attempt, wait this long before trying again (the failure is reported at once). */
export const RETRY_AFTER_MS = 60 * 60_000;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS };

function invalid(text: string, why: string): MinicloudError {
  return new MinicloudError('MC_BACKUP_POLICY_INVALID', `schedule ${JSON.stringify(text)}: ${why}`, [
    { path: 'schedule', message: 'must be off, daily, daily@HH:MM (UTC) or every <duration> such as every 6h' },
  ]);
}

export function parseSchedule(text: string): Schedule {
  const s = text.trim();
  if (s === 'off') return { kind: 'off' };
  if (s === 'daily') return { kind: 'daily', minute: DAILY_DEFAULT_MINUTE };
  const daily = /^daily@([0-9]{2}):([0-9]{2})$/.exec(s);
  if (daily) {
    const h = Number(daily[1]);
    const m = Number(daily[2]);
    if (h > 23 || m > 59) throw invalid(text, 'the time must be HH:MM from 00:00 to 23:59');
    return { kind: 'daily', minute: h * 60 + m };
  }
  const every = /^every\s+((?:[0-9]+[mhd])+)$/.exec(s);
  if (every) {
    let ms = 0;
    for (const [, n, unit] of every[1]!.matchAll(/([0-9]+)([mhd])/g)) ms += Number(n) * UNITS[unit!]!;
    if (ms < MIN_INTERVAL_MS) throw invalid(text, 'the interval must be at least 15m');
    return { kind: 'every', ms };
  }
  throw invalid(text, 'unknown form');
}

export function formatSchedule(schedule: Schedule): string {
  if (schedule.kind === 'off') return 'off';
  if (schedule.kind === 'daily') {
    const hh = String(Math.floor(schedule.minute / 60)).padStart(2, '0');
    const mm = String(schedule.minute % 60).padStart(2, '0');
    return `daily@${hh}:${mm}`;
  }
  return `every ${schedule.ms % DAY_MS === 0 ? `${schedule.ms / DAY_MS}d` : schedule.ms % 3_600_000 === 0 ? `${schedule.ms / 3_600_000}h` : `${schedule.ms / 60_000}m`}`;
}

/** The latest time at or before `now` when a daily schedule fired. */
export function lastDailySlot(minute: number, now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + minute * 60_000;
  return new Date(today <= now.getTime() ? today : today - DAY_MS);
}

export interface RunState {
  /** When the last complete backup started. */
  lastSuccess?: Date;
  /** When the last attempt (successful or not) started. */
  lastAttempt?: Date;
}

/** Whether the schedule wants a run at `now`, leaving failed attempts aside. */
function needed(schedule: Exclude<Schedule, { kind: 'off' }>, lastSuccess: Date | undefined, now: Date): boolean {
  if (lastSuccess === undefined) return true;
  if (schedule.kind === 'every') return now.getTime() - lastSuccess.getTime() >= schedule.ms;
  return lastSuccess.getTime() < lastDailySlot(schedule.minute, now).getTime();
}

function failedRecently(state: RunState, now: Date, retryMs: number): boolean {
  const { lastSuccess, lastAttempt } = state;
  return (
    lastAttempt !== undefined &&
    (lastSuccess === undefined || lastAttempt.getTime() > lastSuccess.getTime()) &&
    now.getTime() - lastAttempt.getTime() < retryMs
  );
}

/** Whether a run is due at `now`. A failed attempt is retried after retryMs, not in a tight loop. */
export function isDue(schedule: Schedule, state: RunState, now: Date, retryMs = RETRY_AFTER_MS): boolean {
  if (schedule.kind === 'off') return false;
  return needed(schedule, state.lastSuccess, now) && !failedRecently(state, now, retryMs);
}

/** When the next run is due, as of `now` (now itself when due; undefined for off). */
export function nextDue(schedule: Schedule, state: RunState, now: Date, retryMs = RETRY_AFTER_MS): Date | undefined {
  if (schedule.kind === 'off') return undefined;
  if (isDue(schedule, state, now, retryMs)) return now;
  // Wanted, but held back after a failure: the retry time.
  if (needed(schedule, state.lastSuccess, now)) return new Date(state.lastAttempt!.getTime() + retryMs);
  if (schedule.kind === 'every') return new Date(state.lastSuccess!.getTime() + schedule.ms);
  return new Date(lastDailySlot(schedule.minute, now).getTime() + DAY_MS);
}

/** How old a last backup may get before the status calls it stale: two periods. */
export function staleAfterMs(schedule: Schedule): number | undefined {
  if (schedule.kind === 'off') return undefined;
  return 2 * (schedule.kind === 'daily' ? DAY_MS : schedule.ms);
}

export interface DueInput {
  key: string;
  schedule: Schedule;
  state: RunState;
}

/** What is due at `now`: the keys, longest-waiting first (never backed up, then oldest success). */
export function dueAt(entries: readonly DueInput[], now: Date, retryMs = RETRY_AFTER_MS): string[] {
  return entries
    .filter((e) => isDue(e.schedule, e.state, now, retryMs))
    .sort(
      (a, b) =>
        (a.state.lastSuccess?.getTime() ?? -Infinity) - (b.state.lastSuccess?.getTime() ?? -Infinity) ||
        a.key.localeCompare(b.key),
    )
    .map((e) => e.key);
}
