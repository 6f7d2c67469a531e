import type Docker from 'dockerode';
import { LABELS } from '../labels.js';
import { taskReason, type TaskInfo } from '../stack/task-status.js';
import {
  alertChanges,
  currentAlerts,
  DEFAULT_ALERT_RULES,
  type Alert,
  type AlertRules,
  type CertificateSnapshot,
  type Snapshot,
} from './alerts.js';
import { runEvery } from '../util/every.js';
import type { NewEvent } from './types.js';

// The look the API takes every half minute: the apps' failed tasks and the nodes (and, hourly,
// the certificates), turned into alert events by ./alerts.ts (which keeps them from repeating).
// The disks have their own look (./disk-space.ts).

const FAILED = new Set(['failed', 'rejected']);

interface ServiceRow {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

/** What the swarm says now. */
export async function takeSnapshot(docker: Docker): Promise<Snapshot> {
  const services = (await docker.listServices({ filters: { label: [`${LABELS.app}`] } })) as ServiceRow[];
  const snapshot: Snapshot = { services: [], nodes: [] };
  for (const s of services) {
    const app = s.Spec?.Labels?.[LABELS.app];
    if (!app) continue;
    const tasks = (await docker.listTasks({ filters: { service: [s.ID] } })) as TaskInfo[];
    snapshot.services.push({
      app,
      service: (s.Spec?.Name ?? s.ID).slice(app.length + 1),
      failures: tasks
        .filter((t) => FAILED.has(t.Status?.State ?? ''))
        .map((t) => ({ at: t.UpdatedAt ?? t.CreatedAt ?? '', reason: taskReason(t) ?? t.Status?.State ?? 'failed' })),
    });
  }
  const nodes = (await docker.listNodes()) as {
    Description?: { Hostname?: string };
    Status?: { State?: string };
    Spec?: { Availability?: string };
  }[];
  for (const n of nodes)
    snapshot.nodes.push({
      hostname: n.Description?.Hostname ?? '?',
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec?.Availability ?? 'active',
    });
  return snapshot;
}

export interface AlertWatch {
  /** One look now (the timer's work; tests call it). */
  check(): Promise<NewEvent[]>;
  stop(): void;
}

/** Looks every `everyMs` and hands each new or resolved alert to `emit`. */
export function startAlertWatch(options: {
  docker: Docker;
  /** The served certificates (the app manager knows them); none looked at without. */
  certificates?: () => Promise<CertificateSnapshot[]>;
  /**
   * How often the certificates are read again (default hourly): they change over days, and each
   * read opens every app's certificate files. Between reads the last list is judged again.
   */
  certificatesEveryMs?: number;
  emit: (event: NewEvent) => Promise<void>;
  onError?: (error: Error) => void;
  everyMs?: number;
  rules?: AlertRules;
  now?: () => Date;
}): AlertWatch {
  const active = new Map<string, Alert>();
  let certificates: { readAt: number; list: CertificateSnapshot[] } | undefined;
  const readCertificates = async (read: () => Promise<CertificateSnapshot[]>) => {
    const now = Date.now();
    if (!certificates || now - certificates.readAt >= (options.certificatesEveryMs ?? 3_600_000))
      certificates = { readAt: now, list: await read() };
    return certificates.list;
  };
  const check = async () => {
    const snapshot = await takeSnapshot(options.docker);
    if (options.certificates) snapshot.certificates = await readCertificates(options.certificates);
    const events = alertChanges(
      active,
      currentAlerts(snapshot, (options.now ?? (() => new Date()))(), options.rules ?? DEFAULT_ALERT_RULES),
    );
    for (const e of events) await options.emit(e);
    return events;
  };
  const stop = runEvery(check, options.everyMs ?? 30_000, options.onError);
  return { check, stop };
}
