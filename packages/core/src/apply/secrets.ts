import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { CurrentApp, DesiredApp, GivenSecrets } from './types.js';

/** The variable that gives an app's env value at apply time: MINICLOUD_SECRET_<APP>_<NAME>. */
export function secretVariable(app: string, name: string): string {
  return `MINICLOUD_SECRET_${app.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_${name}`;
}

/**
 * Each desired app's env values: the one given at apply time, else the one the platform keeps
 * (an app it runs with that name). Pure. Every value missing is named at once, and nothing is
 * applied: an app deployed with an empty API key is worse than no deploy.
 */
export function resolveEnv(
  desired: readonly DesiredApp[],
  current: readonly CurrentApp[],
  given: GivenSecrets,
): Record<string, Record<string, string>> {
  const missing: ErrorDetail[] = [];
  const out: Record<string, Record<string, string>> = {};
  for (const app of desired) {
    const kept = current.find((c) => c.name === app.name)?.env ?? {};
    const env: Record<string, string> = {};
    for (const key of app.envKeys) {
      const value = given[app.name]?.[key] ?? kept[key];
      if (value === undefined) {
        missing.push({
          path: `apps.${app.name}.env.${key}`,
          message: `no value: put it in secrets/${app.name}/${key} or ${secretVariable(app.name, key)}`,
        });
      } else env[key] = value;
    }
    out[app.name] = env;
  }
  if (missing.length > 0) {
    const names = missing.map((m) => m.path.slice('apps.'.length)).join(', ');
    throw new MinicloudError('MC_CONFIG_INVALID', `nothing applied: missing env values (secrets): ${names}`, missing);
  }
  return out;
}
