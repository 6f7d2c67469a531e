import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NEED_KINDS, needsInService } from '../needs/registry.js';
import { readIdleServices, writeIdleServices } from './idle-services.js';
import type { PlatformLayout } from './layout.js';

// The replicas platform init renders for each shared service (mariadb, rabbitmq, postgres,
// redis), so that re-running the installer agrees with what the API started and stopped: 1
// while some app needs it, 0 once the API found it holding no app's data (state/services.json)
// or when it never ran (a new install: no data dir yet). A service of a platform installed
// before services started on demand has data and no idle mark: it runs until the API looks.

export interface ReplicaInputs {
  /** Each app's needs, from its record in the configuration directory. */
  appNeeds: readonly (readonly string[])[];
  /** Services the API stopped as holding no app's data. */
  idle: ReadonlySet<string>;
  /** Services whose data dir has anything in it. */
  withData: ReadonlySet<string>;
}

/** Pure: the replicas of every need kind's service. */
export function serviceReplicas(inputs: ReplicaInputs): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of NEED_KINDS) {
    const service = kind.service?.name;
    if (!service) continue;
    const served: readonly string[] = needsInService(service);
    const needed = inputs.appNeeds.some((needs) => needs.some((n) => served.includes(n)));
    const replicas = needed || (!inputs.idle.has(service) && inputs.withData.has(service)) ? 1 : 0;
    out[service] = Math.max(out[service] ?? 0, replicas);
  }
  return out;
}

/** Every shared service at 1: what rendering without a data dir to look at assumes. */
export function allServicesUp(): Record<string, number> {
  return Object.fromEntries(NEED_KINDS.flatMap((k) => (k.service ? [[k.service.name, 1]] : [])));
}

/** Reads the inputs of serviceReplicas() from a platform's data dir. */
export async function readReplicaInputs(layout: PlatformLayout): Promise<ReplicaInputs> {
  const appNeeds: string[][] = [];
  const apps = await readdir(layout.appsDir).catch(() => [] as string[]);
  for (const app of apps) {
    const text = await readFile(join(layout.appsDir, app, 'app.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const needs = (JSON.parse(text) as { needs?: unknown }).needs;
      appNeeds.push(Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : []);
    } catch {
      // A record that does not parse keeps every service up: it might need any of them.
      appNeeds.push(NEED_KINDS.map((k) => k.name));
    }
  }
  const withData = new Set<string>();
  for (const kind of NEED_KINDS) {
    const service = kind.service?.name;
    if (!service) continue;
    const entries = await readdir(join(layout.dataDir, service)).catch(() => [] as string[]);
    if (entries.length > 0) withData.add(service);
  }
  return { appNeeds, idle: await readIdleServices(layout.servicesStateFile), withData };
}

/** Writes the idle file to say exactly the services rendered with 0 replicas (untouched when it does). */
export async function markIdleServices(file: string, replicas: Record<string, number>): Promise<void> {
  const idle = new Set(Object.keys(replicas).filter((service) => replicas[service] === 0));
  const before = await readIdleServices(file);
  if (before.size === idle.size && [...idle].every((s) => before.has(s))) return;
  await writeIdleServices(file, idle);
}
