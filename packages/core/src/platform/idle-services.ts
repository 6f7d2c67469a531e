import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';

// Which shared services (mariadb, rabbitmq, postgres, redis) the platform stopped because no
// app needed them and they held no app's data: <data-dir>/state/services.json. The API writes
// it before it stops a service and before it starts one again; platform init reads it to
// render each service's replicas, so that re-running the installer keeps an idle service idle.
// A platform installed before this file existed has none: its services count as in use.

export interface IdleServicesFile {
  version: 1;
  /** Services stopped with no app's data in them, sorted. */
  idle: string[];
}

export async function readIdleServices(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return new Set();
  try {
    const parsed = JSON.parse(text) as Partial<IdleServicesFile>;
    return new Set(Array.isArray(parsed.idle) ? parsed.idle.filter((s) => typeof s === 'string') : []);
  } catch {
    // Unreadable: nothing is known idle, so nothing is left stopped that might hold data.
    return new Set();
  }
}

export async function writeIdleServices(file: string, idle: ReadonlySet<string>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const body: IdleServicesFile = { version: 1, idle: [...idle].sort() };
  await writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`, 0o644);
}
