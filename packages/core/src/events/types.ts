// What happened on the platform, as the operator reads it later (`minicloud events`, the admin
// dashboard) and as notifications carry it: who did what (the admin or which deploy token), and
// what went wrong on its own (an app crash-looping, a node down, a disk filling up).

export type EventLevel = 'info' | 'warning' | 'error';
export const EVENT_LEVELS: readonly EventLevel[] = ['info', 'warning', 'error'];

export interface PlatformEvent {
  /** Increasing: a later event has a larger id (the log's line number since it began). */
  id: number;
  /** ISO 8601. */
  at: string;
  /** `app.add`, `app.update`, ... for jobs; `alert.crash-loop`, `alert.node-down`, ... for alerts. */
  kind: string;
  level: EventLevel;
  app?: string;
  /** `admin`, `deploy-token <id>`, or `platform` for what the platform noticed itself. */
  actor: string;
  message: string;
}

export type NewEvent = Omit<PlatformEvent, 'id' | 'at'>;

export function levelAtLeast(level: EventLevel, min: EventLevel): boolean {
  return EVENT_LEVELS.indexOf(level) >= EVENT_LEVELS.indexOf(min);
}
