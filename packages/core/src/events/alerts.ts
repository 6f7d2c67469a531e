import type { EventLevel, NewEvent } from './types.js';

// Alerts: conditions the platform notices on its own, read from a snapshot of the swarm and the
// certificates (disk space has its own levels: ./disk-space.ts). Each condition has a key; it is
// reported once when it starts and once when it ends (not on every look), so a crash-looping app
// is one alert, not one every 30 seconds.

export interface ServiceSnapshot {
  app: string;
  /** `web` or a runner. */
  service: string;
  /** Tasks that ended badly (failed, rejected), with when and why. */
  failures: { at: string; reason: string }[];
}

export interface NodeSnapshot {
  hostname: string;
  /** The engine's node status: ready, down, unknown, disconnected. */
  state: string;
  availability: string;
}

/** A served certificate and how it is kept: an ACME one that keeps failing to renew ends. */
export interface CertificateSnapshot {
  app: string;
  domain: string;
  issuer: string;
  notAfter?: string;
  lastError?: string;
}

export interface Snapshot {
  services: ServiceSnapshot[];
  nodes: NodeSnapshot[];
  certificates?: CertificateSnapshot[];
}

export interface AlertRules {
  /** This many failed tasks of one service within `crashWindowMs` is a crash loop. */
  crashCount: number;
  crashWindowMs: number;
  /** A certificate ending within this many days is reported (ACME renews 30 days ahead). */
  certificateDays: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = {
  crashCount: 3,
  crashWindowMs: 10 * 60_000,
  certificateDays: 14,
};

export interface Alert {
  key: string;
  kind: string;
  level: EventLevel;
  app?: string;
  message: string;
}

/** Every condition that holds in the snapshot now. */
export function currentAlerts(snapshot: Snapshot, now: Date, rules: AlertRules = DEFAULT_ALERT_RULES): Alert[] {
  const alerts: Alert[] = [];
  for (const s of snapshot.services) {
    const recent = s.failures.filter((f) => now.getTime() - Date.parse(f.at) <= rules.crashWindowMs);
    if (recent.length < rules.crashCount) continue;
    const last = [...recent].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0]!;
    alerts.push({
      key: `crash-loop:${s.app}/${s.service}`,
      kind: 'alert.crash-loop',
      level: 'error',
      app: s.app,
      message: `app ${s.app}: ${s.service} failed ${recent.length} times in ${rules.crashWindowMs / 60_000} minutes (last: ${last.reason})`,
    });
  }
  for (const n of snapshot.nodes) {
    if (n.state === 'ready' || n.availability === 'drain') continue;
    alerts.push({
      key: `node-down:${n.hostname}`,
      kind: 'alert.node-down',
      level: 'error',
      message: `node ${n.hostname} is ${n.state}: its tasks are rescheduled where they can run`,
    });
  }
  for (const c of snapshot.certificates ?? []) {
    if (!c.notAfter) continue;
    const days = (Date.parse(c.notAfter) - now.getTime()) / 86_400_000;
    if (Number.isNaN(days) || days >= rules.certificateDays) continue;
    const when =
      days <= 0
        ? `ended on ${c.notAfter.slice(0, 10)}`
        : `ends in ${Math.floor(days)} days (${c.notAfter.slice(0, 10)})`;
    alerts.push({
      key: `certificate-expiring:${c.domain}`,
      kind: 'alert.certificate-expiring',
      level: days < 3 ? 'error' : 'warning',
      app: c.app,
      message: `the certificate of ${c.domain} (${c.issuer}) ${when}${c.lastError ? `; the last renewal failed: ${c.lastError}` : ''}`,
    });
  }
  return alerts;
}

/**
 * What changed since the last look: alerts that began (reported as they are) and alerts that
 * ended (reported as resolved, at info level). `active` is updated in place.
 */
export function alertChanges(active: Map<string, Alert>, now: Alert[]): NewEvent[] {
  const events: NewEvent[] = [];
  const seen = new Set<string>();
  for (const a of now) {
    seen.add(a.key);
    if (active.has(a.key)) continue;
    active.set(a.key, a);
    events.push({
      kind: a.kind,
      level: a.level,
      actor: 'platform',
      message: a.message,
      ...(a.app ? { app: a.app } : {}),
    });
  }
  for (const [key, a] of active) {
    if (seen.has(key)) continue;
    active.delete(key);
    events.push({
      kind: `${a.kind}.resolved`,
      level: 'info',
      actor: 'platform',
      message: `resolved: ${a.message}`,
      ...(a.app ? { app: a.app } : {}),
    });
  }
  return events;
}
