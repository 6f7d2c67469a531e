import { MinicloudError } from '../errors.js';
import type { NeedName } from '../needs/registry.js';
import type { AppRecord, Progress, RemovalPart } from './types.js';
import { appVolumeNames } from './volumes.js';

// What `remove --purge` deletes besides the stack, one step per part (removal.ts's parts,
// named alike). Every step is idempotent (an absent part is fine), so running the remove
// again retries exactly what is left.

export interface PurgeEdges {
  dropNeed(need: NeedName): Promise<void>;
  removeCertificate(domain: string): Promise<void>;
  removeSecrets(): Promise<void>;
  /** A compose app's volume, by the engine's name (`<app>_<volume>`). */
  removeVolume(name: string): Promise<void>;
  progress: Progress;
}

export function reason(error: unknown): string {
  if (error instanceof MinicloudError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Tries every purge step; resolves what is left, one entry per part that failed. */
export async function purgeSteps(record: AppRecord, edges: PurgeEdges): Promise<RemovalPart[]> {
  const left: RemovalPart[] = [];
  const attempt = async (part: string, step: () => Promise<void>) => {
    await step().catch((error: unknown) => left.push({ part, reason: reason(error) }));
  };
  for (const need of record.needs) {
    edges.progress(`purging its ${need}`);
    await attempt(need, () => edges.dropNeed(need));
  }
  for (const volume of appVolumeNames(record)) {
    edges.progress(`removing its volume ${volume}`);
    await attempt(`volume ${volume}`, () => edges.removeVolume(volume));
  }
  for (const domain of record.domains) await attempt(`certificate ${domain}`, () => edges.removeCertificate(domain));
  // The passwords and env values go too: nothing left needs them to be dropped.
  await attempt('secrets', () => edges.removeSecrets());
  return left;
}
