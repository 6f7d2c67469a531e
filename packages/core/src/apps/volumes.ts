import type Docker from 'dockerode';
import { removeWhenFree } from '../stack/remove.js';
import type { AppRecord } from './types.js';

// A compose app's named volumes: the stack makes them as `<app>_<volume>` on each node that
// runs a task using one, and `stack rm` leaves them (they hold data), so a purge removes them.

/** How long a volume's removal waits for the last container using it to go. */
const VOLUME_FREE_MS = 30_000;

/** The engine's names of the app's volumes. */
export function appVolumeNames(record: Pick<AppRecord, 'name' | 'source'>): string[] {
  return (record.source?.volumes ?? []).map((v) => `${record.name}_${v}`);
}

/**
 * Removes a volume from the engine the platform talks to (one not there is gone already),
 * retrying while a stopping container still holds it. A volume on another node is not seen
 * here and stays (see the README).
 */
export async function removeVolume(docker: Docker, name: string): Promise<void> {
  await removeWhenFree(`volume ${name}`, () => docker.getVolume(name).remove(), Date.now() + VOLUME_FREE_MS);
}
