import { SPEC_HASH_LABEL } from '../stack/types.js';

// `minicloud diff`: what runs vs what the directory says. Pure, over summaries of service specs
// (the engine is read at the edge, see drift.ts), so it is tested without an engine.

/** What a diff compares of one service. */
export interface ServiceSummary {
  /** Full service name, `<app>_<service>`. */
  service: string;
  image: string;
  env: Record<string, string>;
  /** Absent for a global service. */
  replicas?: number;
  labels: Record<string, string>;
}

/** One field of one service that differs. A secret's values are never in it: `secret: true`. */
export interface Drift {
  app: string;
  service: string;
  field: string;
  directory?: unknown;
  running?: unknown;
  secret?: true;
}

/** The engine pins a tag to the digest it resolved (`nginx:1.27@sha256:...`): not a change. */
function sameImage(desired: string, running: string): boolean {
  return desired === running || (!desired.includes('@') && running.replace(/@sha256:[0-9a-f]+$/, '') === desired);
}

function mapDrift(
  base: Omit<Drift, 'field'>,
  prefix: string,
  desired: Record<string, string>,
  running: Record<string, string>,
  secret: ReadonlySet<string>,
): Drift[] {
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(running)])].sort();
  return keys.flatMap((key): Drift[] => {
    if (desired[key] === running[key]) return [];
    const field = `${prefix}.${key}`;
    if (secret.has(key)) return [{ ...base, field, secret: true }];
    return [
      {
        ...base,
        field,
        ...(key in desired ? { directory: desired[key] } : {}),
        ...(key in running ? { running: running[key] } : {}),
      },
    ];
  });
}

/**
 * Per service, each field whose running value is not the directory's. `secretEnv`: the names
 * whose values are secrets (env values, credentials): a difference is reported, not the values.
 */
export function diffServices(
  app: string,
  desired: readonly ServiceSummary[],
  running: readonly ServiceSummary[],
  secretEnv: ReadonlySet<string>,
): Drift[] {
  const drift: Drift[] = [];
  for (const want of desired) {
    const base = { app, service: want.service };
    const have = running.find((r) => r.service === want.service);
    if (!have) {
      drift.push({ ...base, field: 'service', directory: 'present', running: 'missing' });
      continue;
    }
    if (!sameImage(want.image, have.image))
      drift.push({ ...base, field: 'image', directory: want.image, running: have.image });
    if (want.replicas !== have.replicas)
      drift.push({
        ...base,
        field: 'replicas',
        directory: want.replicas ?? 'global',
        running: have.replicas ?? 'global',
      });
    drift.push(...mapDrift(base, 'env', want.env, have.env, secretEnv));
    const labels = (l: Record<string, string>) =>
      Object.fromEntries(Object.entries(l).filter(([k]) => k !== SPEC_HASH_LABEL));
    drift.push(...mapDrift(base, 'labels', labels(want.labels), labels(have.labels), new Set()));
  }
  for (const have of running.filter((r) => !desired.some((d) => d.service === r.service))) {
    drift.push({ app, service: have.service, field: 'service', directory: 'missing', running: 'present' });
  }
  return drift;
}

/** A service spec (desired or as the engine stores it) as a diff compares it. */
export function summariseSpec(service: string, spec: Record<string, unknown>): ServiceSummary {
  const template = (spec['TaskTemplate'] ?? {}) as { ContainerSpec?: { Image?: string; Env?: string[] } };
  const mode = (spec['Mode'] ?? {}) as { Replicated?: { Replicas?: number } };
  const env: Record<string, string> = {};
  for (const entry of template.ContainerSpec?.Env ?? []) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return {
    service,
    image: template.ContainerSpec?.Image ?? '',
    env,
    ...(mode.Replicated ? { replicas: mode.Replicated.Replicas ?? 1 } : {}),
    labels: { ...((spec['Labels'] ?? {}) as Record<string, string>) },
  };
}
