import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { NeedName } from '../needs/registry.js';
import type { KeptDataChoice } from './types.js';

// Data an earlier app of the same name left behind: a remove without purge keeps it, a purge
// that failed leaves some. A new app of that name taking it over without being asked would
// hand one tenant's rows, queues or files to another, so it is an explicit choice: adopt
// (take it over, re-keyed) or purgeOld (drop it first, start empty). Pure: the manager looks
// up what exists and does what the plan says.

/** One kind of data that exists under the app's name, named for people. */
export interface ExistingData {
  need: NeedName;
  /** e.g. "database my_shop (or its user)", "storage directory /srv/.../storage/my-shop" */
  what: string;
}

/** What to do before provisioning: the needs whose old data is dropped first (empty with adopt). */
export interface KeptDataPlan {
  drop: NeedName[];
  adopt: NeedName[];
}

/** adopt and purgeOld exclude each other: the field named is the second. */
export function checkKeptDataChoice(choice: KeptDataChoice): void {
  if (choice.adopt && choice.purgeOld) {
    throw new MinicloudError('MC_SETTINGS_INVALID', 'adopt and purgeOld exclude each other: choose one', [
      { path: 'purgeOld', message: 'cannot be combined with adopt' },
    ]);
  }
}

/**
 * The plan for the old data found, or MC_APP_DATA_EXISTS naming it when no choice was made.
 * `retry` tells how to make the choice (the flags of the command that met it).
 */
export function keptDataPlan(
  app: string,
  existing: readonly ExistingData[],
  choice: KeptDataChoice,
  retry: string,
): KeptDataPlan {
  checkKeptDataChoice(choice);
  if (existing.length === 0) return { drop: [], adopt: [] };
  const needs = existing.map((e) => e.need);
  if (choice.purgeOld) return { drop: needs, adopt: [] };
  if (choice.adopt) return { drop: [], adopt: needs };
  const details: ErrorDetail[] = existing.map((e) => ({ path: e.need, message: `${e.what} exists` }));
  throw new MinicloudError(
    'MC_APP_DATA_EXISTS',
    `data of an earlier app named ${app} exists: ${existing.map((e) => e.what).join(', ')}. ` +
      `Nothing was changed. ${retry}`,
    details,
  );
}

/** How `app add` is told: the CLI flags and the API fields. */
export function addRetryHint(): string {
  return (
    `Add it again with --adopt to take it over (re-keyed), or --purge-old to drop it first ` +
    `(API: adopt or purgeOld).`
  );
}

/** How attaching a need is told. */
export function attachRetryHint(app: string, need: NeedName): string {
  return (
    `Attach it with \`minicloud app need add ${app} ${need} --adopt\` to take it over, ` +
    `or --purge-old to drop it first (API: adopt or purgeOld).`
  );
}
