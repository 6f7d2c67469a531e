import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EventLevel, NewEvent, PlatformEvent } from './types.js';
import { levelAtLeast } from './types.js';

// The event log: one JSON object per line in the data dir, appended as things happen and cut
// back to the newest `max` when it grows past twice that, so a busy year stays a small file.
// Kept in memory too: the API is its only writer, and reads (the dashboard) are frequent.

export interface EventQuery {
  app?: string;
  /** Only events with a larger id (a client's "what is new since I last looked"). */
  after?: number;
  minLevel?: EventLevel;
  /** Newest first, at most this many. */
  limit?: number;
}

export class EventLog {
  private constructor(
    private readonly file: string,
    private readonly max: number,
    private events: PlatformEvent[],
    private readonly now: () => Date,
  ) {}

  static async open(file: string, options: { max?: number; now?: () => Date } = {}): Promise<EventLog> {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const events: PlatformEvent[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as PlatformEvent);
      } catch {
        // A line cut short by a crash mid-append: the rest of the log still reads.
      }
    }
    return new EventLog(file, options.max ?? 5000, events, options.now ?? (() => new Date()));
  }

  async append(event: NewEvent): Promise<PlatformEvent> {
    const last = this.events.at(-1);
    const full: PlatformEvent = { id: (last?.id ?? 0) + 1, at: this.now().toISOString(), ...event };
    this.events.push(full);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    if (this.events.length > 2 * this.max) {
      this.events = this.events.slice(-this.max);
      await writeFileAtomic(this.file, this.events.map((e) => `${JSON.stringify(e)}\n`).join(''), 0o600);
    } else {
      await appendFile(this.file, `${JSON.stringify(full)}\n`, { mode: 0o600 });
    }
    return full;
  }

  list(query: EventQuery = {}): PlatformEvent[] {
    const out: PlatformEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < (query.limit ?? 100); i--) {
      const e = this.events[i]!;
      if (query.after !== undefined && e.id <= query.after) break;
      if (query.app !== undefined && e.app !== query.app) continue;
      if (query.minLevel !== undefined && !levelAtLeast(e.level, query.minLevel)) continue;
      out.push(e);
    }
    return out;
  }
}
