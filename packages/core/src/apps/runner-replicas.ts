import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { Manifest } from '../manifest/normalise.js';

// `app scale --runner R N`: runner replicas the operator set, kept in the record over the
// manifest's numbers. A new image may drop a runner; its number is forgotten with it.

/**
 * The record's runner replicas after an update: the old ones still named by the manifest, then
 * the update's. A name that is not a runner of the manifest is refused by its path.
 */
export function nextRunnerReplicas(
  before: Record<string, number> | undefined,
  change: Record<string, number> | undefined,
  manifest: Manifest,
): Record<string, number> | undefined {
  const runners = new Set(manifest.runners.map((r) => r.name));
  const bad: ErrorDetail[] = Object.keys(change ?? {})
    .filter((name) => !runners.has(name))
    .map((name) => ({
      path: `runnerReplicas.${name}`,
      message: runners.size > 0 ? `is not a runner of the app (${[...runners].join(', ')})` : 'the app has no runners',
    }));
  if (bad.length > 0) throw new MinicloudError('MC_SETTINGS_INVALID', 'no such runner to scale', bad);
  const out: Record<string, number> = {};
  for (const [name, replicas] of Object.entries({ ...before, ...change })) if (runners.has(name)) out[name] = replicas;
  return Object.keys(out).length > 0 ? out : undefined;
}
