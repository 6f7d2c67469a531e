import { DISK_SPACE_LEVELS, type DiskSpaceLevel, type FilesystemSpace } from '../platform/disk-space.js';
import { runEvery } from '../util/every.js';
import type { EventLevel, NewEvent } from './types.js';

// Disk space as events: one when a filesystem's level gets worse (ok -> low -> critical), one
// when it gets better, none while it stays: a disk at 5% for a week is one event, not 10,000.

const EVENT_LEVEL: Record<DiskSpaceLevel, EventLevel> = { ok: 'info', low: 'warning', critical: 'error' };

export class DiskSpaceTracker {
  /** The last level of each filesystem, by device; one not seen yet counts as ok. */
  private readonly levels = new Map<number, DiskSpaceLevel>();

  /** The events for what changed since the last look (which is remembered). */
  changes(filesystems: readonly FilesystemSpace[]): NewEvent[] {
    const events: NewEvent[] = [];
    const seen = new Set<number>();
    for (const f of filesystems) {
      seen.add(f.device);
      const before = this.levels.get(f.device) ?? 'ok';
      this.levels.set(f.device, f.level);
      if (before === f.level) continue;
      const worse = DISK_SPACE_LEVELS.indexOf(f.level) > DISK_SPACE_LEVELS.indexOf(before);
      events.push({
        kind: f.level === 'ok' ? 'alert.disk-space.resolved' : 'alert.disk-space',
        level: EVENT_LEVEL[f.level],
        actor: 'platform',
        message: worse
          ? `disk space ${f.level}: ${f.reason}`
          : `disk space ${f.level === 'ok' ? 'ok again' : `better, still ${f.level}`}: ${f.reason}`,
      });
    }
    // A filesystem no longer watched (unmounted, path gone) is forgotten, not reported.
    for (const device of this.levels.keys()) if (!seen.has(device)) this.levels.delete(device);
    return events;
  }
}

export interface DiskSpaceWatch {
  /** One look now (the timer's work; tests call it). */
  check(): Promise<NewEvent[]>;
  stop(): void;
}

/** Looks every `everyMs` (default a minute) and hands each change of level to `emit`. */
export function startDiskSpaceWatch(options: {
  read: () => Promise<FilesystemSpace[]>;
  emit: (event: NewEvent) => Promise<void>;
  onError?: (error: Error) => void;
  everyMs?: number;
}): DiskSpaceWatch {
  const tracker = new DiskSpaceTracker();
  const check = async () => {
    const events = tracker.changes(await options.read());
    for (const e of events) await options.emit(e);
    return events;
  };
  const stop = runEvery(check, options.everyMs ?? 60_000, options.onError);
  return { check, stop };
}
