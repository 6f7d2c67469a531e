import {
  checkWebhookUrl,
  describeNotify,
  EventLog,
  notify,
  readNotifySettings,
  Sensitive,
  writeNotifySettings,
  type EventLevel,
  type EventQuery,
  type NewEvent,
  type PlatformEvent,
} from '@minicloud/core';
import type { JobRecord } from './jobs.js';

// The API's event log and its notifications: every event is appended to core's EventLog and,
// at or above the configured level, POSTed to the operator's webhook. Jobs and changes made
// through the API are recorded here with who made them; alerts come from core's alert watch.

export interface NotifyView {
  webhook: string | null;
  minLevel: EventLevel;
}

export interface EventsPort {
  list(query: EventQuery): PlatformEvent[];
  record(event: NewEvent): Promise<PlatformEvent>;
  notifications(): Promise<NotifyView>;
  /** null turns notifications off. */
  setNotifications(settings: { webhook: string; minLevel?: EventLevel } | null): Promise<NotifyView>;
}

export interface EventsOptions {
  log: EventLog;
  /** Where the webhook settings live (a 0600 file in the API's secrets dir); memory only without. */
  notifyFile?: string;
  /** The platform's name in notifications (its domain). */
  platform: string;
  onNotifyError?: (error: Error) => void;
}

export async function openEvents(options: EventsOptions): Promise<EventsPort> {
  let settings = options.notifyFile ? await readNotifySettings(options.notifyFile) : undefined;
  return {
    list: (query) => options.log.list(query),
    async record(event) {
      const full = await options.log.append(event);
      // In the background: a slow webhook never holds up the change that caused the event.
      void notify(settings, full, options.platform, options.onNotifyError);
      return full;
    },
    notifications: async () => describeNotify(settings),
    async setNotifications(next) {
      if (next) checkWebhookUrl(next.webhook);
      const value = next ? { url: new Sensitive(next.webhook), minLevel: next.minLevel ?? 'warning' } : undefined;
      if (options.notifyFile) await writeNotifySettings(options.notifyFile, value);
      settings = value;
      return describeNotify(settings);
    },
  };
}

/** The event a finished job leaves: what it did, for which app, whether it worked, who asked. */
export function jobEvent(job: JobRecord, actor: string): NewEvent {
  const app = job.app ? { app: job.app } : {};
  const what = `${job.kind} ${job.app ?? ''}`.trim();
  if (job.state === 'interrupted') {
    // Its problem's detail names the step it reached (JobRunner.open).
    const problem = job.problem as { detail?: string } | undefined;
    return {
      kind: `${job.kind}.interrupted`,
      level: 'error',
      actor,
      message: `${what} interrupted: ${problem?.detail ?? 'the API stopped under it'}`,
      ...app,
    };
  }
  if (job.state === 'failed') {
    // The job's problem is the Problem schema (by $ref, so its type is not spelled out here).
    const problem = job.problem as { code?: string; detail?: string } | undefined;
    return {
      kind: job.kind,
      level: 'error',
      actor,
      message: `${what} failed: ${problem ? `${problem.code}: ${problem.detail}` : 'unknown error'}`,
      ...app,
    };
  }
  const result = job.result as { rolledBack?: boolean; reason?: string } | undefined;
  if (result?.rolledBack) {
    return {
      kind: `${job.kind}.rolled-back`,
      level: 'warning',
      actor,
      message: `${what}: the new version failed and was rolled back${result.reason ? ` (${result.reason})` : ''}`,
      ...app,
    };
  }
  return { kind: job.kind, level: 'info', actor, message: `${what} succeeded`, ...app };
}
