import { lastDailySlot } from '../backup/schedule.js';

// The registry clean-up, once a day, inside the API service. It used to be a swarm service of
// its own whose task ran `minicloud registry gc` and exited, restarted a day later: `docker
// service ls` showed it as 0/1, which anyone who knows Swarm reads as a broken service. A timer
// in a process that runs anyway costs nothing between runs and shows as nothing.

/** 04:00 UTC: after the backups' default 03:00, when pushes are least likely. */
export const REGISTRY_GC_MINUTE = 4 * 60;

const DAY_MS = 24 * 60 * 60_000;

/** The first daily slot strictly after `now`: a restart never runs the clean-up at once. */
export function nextDailySlot(minute: number, now: Date): Date {
  return new Date(lastDailySlot(minute, now).getTime() + DAY_MS);
}

export interface DailyTimer {
  stop(): void;
}

export interface DailyTimerOptions {
  minute?: number;
  now?: () => Date;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * Runs `job` at every daily slot until stopped; one run at a time, and a failing run only
 * waits for the next slot (the job reports its own errors). Timers are re-armed from the clock
 * each time, so a suspended host or a long run does not drift the schedule.
 */
export function startDailyTimer(job: () => Promise<void>, options: DailyTimerOptions = {}): DailyTimer {
  const minute = options.minute ?? REGISTRY_GC_MINUTE;
  const now = options.now ?? (() => new Date());
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  let handle: unknown;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const at = now();
    handle = setTimer(
      () =>
        void job()
          .catch(() => undefined)
          .finally(arm),
      nextDailySlot(minute, at).getTime() - at.getTime(),
    );
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (handle !== undefined) clearTimer(handle);
    },
  };
}
