import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { NeedName } from '../manifest/schema.js';
import type { AppRecord, Progress } from './types.js';

// What `remove --purge` deletes besides the stack, one step per part, and the error that names
// the parts a failed step left behind. Every step is idempotent (an absent part is fine), so
// running the remove again retries exactly what is left.

export interface PurgeEdges {
  dropNeed(need: NeedName): Promise<void>;
  removeCertificate(domain: string): Promise<void>;
  removeSecrets(): Promise<void>;
  progress: Progress;
}

function reason(error: unknown): string {
  if (error instanceof MinicloudError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Tries every purge step; resolves what is left, one detail per part that failed. */
export async function purgeSteps(record: AppRecord, edges: PurgeEdges): Promise<ErrorDetail[]> {
  const left: ErrorDetail[] = [];
  const attempt = async (path: string, step: () => Promise<void>) => {
    await step().catch((error: unknown) => left.push({ path, message: `is left (${reason(error)})` }));
  };
  for (const need of record.needs) {
    edges.progress(`purging its ${need}`);
    await attempt(need, () => edges.dropNeed(need));
  }
  for (const domain of record.domains) await attempt(`certificate ${domain}`, () => edges.removeCertificate(domain));
  // The passwords and env values go too: nothing left needs them to be dropped.
  await attempt('secrets', () => edges.removeSecrets());
  return left;
}

export function removeIncomplete(name: string, left: ErrorDetail[]): MinicloudError {
  const parts = left.map((d) => d.path).join(', ');
  return new MinicloudError(
    'MC_APP_REMOVE_INCOMPLETE',
    `app ${name} is not fully removed: its stack is gone, but ${parts} could not be purged. ` +
      'Its record stays: remove it again with purge to finish.',
    left,
  );
}
