import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { AppRecord, AppRemoval, RemovalPart } from './types.js';
import { appVolumeNames } from './volumes.js';

// The `removing` state of an app. A removal first writes it into the app's record, naming
// every part it is about to remove; the record goes only once every part is gone. So a removal
// that fails or is interrupted (a shared service down, the API restarted) leaves an app that
// lists as `removing` with what is left and why, that no change can build on, and that the
// same command finishes. Pure: the manager does the removing and the writing.

/** The parts a removal removes, in its order; with purge the data, volumes, certificates and secrets too. */
export function removalParts(record: AppRecord, purge: boolean): string[] {
  const parts = ['routes', 'stack'];
  if (!purge) return parts;
  return [
    ...parts,
    ...record.needs,
    ...appVolumeNames(record).map((v) => `volume ${v}`),
    ...record.domains.map((d) => `certificate ${d}`),
    'secrets',
  ];
}

/**
 * The record as a removal starts (or starts again): `removing`, everything still left. A purge
 * once started stays a purge: some data may be gone already, and finishing means the rest.
 */
export function startRemoval(record: AppRecord, purge: boolean, now: Date = new Date()): AppRecord {
  const before = record.removal;
  const sticky = purge || (before?.purge ?? false);
  const removal: AppRemoval = {
    purge: sticky,
    startedAt: before?.startedAt ?? now.toISOString(),
    left: removalParts(record, sticky).map((part) => ({ part, reason: 'not removed yet' })),
  };
  return { ...record, state: 'removing', removal };
}

/** The record once an attempt has ended with `left` still there (never empty: then it is deleted). */
export function removalLeft(record: AppRecord, left: RemovalPart[]): AppRecord {
  const removal = record.removal ?? { purge: false, startedAt: new Date().toISOString(), left: [] };
  return { ...record, state: 'removing', removal: { ...removal, left } };
}

/** The command that finishes the app's removal. */
export function finishCommand(record: Pick<AppRecord, 'name' | 'removal'>): string {
  return `minicloud app rm ${record.name}${record.removal?.purge ? ' --purge' : ''}`;
}

/** MC_APP_REMOVING for a change to an app that is being removed. */
export function removingError(record: Pick<AppRecord, 'name' | 'removal'>): MinicloudError {
  const left = record.removal?.left ?? [];
  return new MinicloudError(
    'MC_APP_REMOVING',
    `app ${record.name} is being removed${left.length > 0 ? ` (left: ${left.map((l) => l.part).join(', ')})` : ''}; ` +
      `no change can be made to it. Finish the removal with \`${finishCommand(record)}\`, then add it again.`,
    [{ path: 'name', message: `is being removed: ${finishCommand(record)} finishes it` }],
  );
}

/** Refuses a change to an app that is being removed. */
export function assertNotRemoving(record: Pick<AppRecord, 'name' | 'state' | 'removal'>): void {
  if (record.state === 'removing') throw removingError(record);
}

/** MC_APP_REMOVE_INCOMPLETE: what an attempt left, and the command that finishes it. */
export function removeIncomplete(record: AppRecord, left: RemovalPart[]): MinicloudError {
  const details: ErrorDetail[] = left.map((l) => ({ path: l.part, message: `is left (${l.reason})` }));
  return new MinicloudError(
    'MC_APP_REMOVE_INCOMPLETE',
    `app ${record.name} is not fully removed: ${left.map((l) => l.part).join(', ')} could not be removed. ` +
      `It stays listed as removing: run \`${finishCommand(record)}\` again to finish.`,
    details,
  );
}

/**
 * The state of a record as read from app.json: records written before removals were recorded
 * have neither field and are active; a removal without its state (hand-edited) still counts.
 */
export function readState(raw: { state?: unknown; removal?: unknown }): Pick<AppRecord, 'state' | 'removal'> {
  const removal = raw.removal as AppRemoval | undefined;
  if (raw.state === 'removing' || removal !== undefined) {
    return {
      state: 'removing',
      removal: {
        purge: removal?.purge === true,
        startedAt: typeof removal?.startedAt === 'string' ? removal.startedAt : new Date(0).toISOString(),
        left: Array.isArray(removal?.left) ? removal.left : [],
      },
    };
  }
  return { state: 'active' };
}
