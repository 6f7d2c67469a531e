import { resolveEnv } from './secrets.js';
import type { ApplyEntry, ApplyPlan, CurrentApp, DesiredApp, FieldChange, GivenSecrets } from './types.js';

/** The fields compared as plain values (the record's inputs), in the order a plan lists them. */
const FIELDS = ['image', 'domains', 'replicas', 'runnerReplicas', 'followTag', 'needs'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sorted = (list: readonly string[]) => [...new Set(list)].sort();

/** A field as compared: lists as sets, absent settings as their defaults. */
function value(app: DesiredApp, field: (typeof FIELDS)[number]): unknown {
  switch (field) {
    case 'domains':
      return sorted(app.domains);
    case 'needs':
      return sorted(app.needs);
    case 'runnerReplicas':
      return app.runnerReplicas && Object.keys(app.runnerReplicas).length > 0 ? app.runnerReplicas : undefined;
    case 'followTag':
      return app.followTag ?? false;
    default:
      return app[field];
  }
}

/** What differs between an app as the platform runs it and as the directory wants it. */
export function appChanges(current: CurrentApp, desired: DesiredApp, env: Record<string, string>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of FIELDS) {
    const from = value(current, field);
    const to = value(desired, field);
    if (!same(from, to))
      changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  const keys = [...new Set([...Object.keys(current.env), ...Object.keys(env)])].sort();
  for (const key of keys) {
    if (current.env[key] !== env[key]) changes.push({ field: `env.${key}`, secret: true });
  }
  return changes;
}

/**
 * The directory's apps vs the platform's -> one entry per app. Pure. An app the directory no
 * longer has is removed only with prune (else listed as skipped); a missing env value fails
 * the whole plan (see resolveEnv).
 */
export function planApply(
  desired: readonly DesiredApp[],
  current: readonly CurrentApp[],
  given: GivenSecrets,
  options: { prune: boolean },
): ApplyPlan {
  const env = resolveEnv(desired, current, given);
  const apps: ApplyEntry[] = [];
  for (const app of [...desired].sort((a, b) => a.name.localeCompare(b.name))) {
    const running = current.find((c) => c.name === app.name);
    if (!running) {
      apps.push({ app: app.name, action: 'create', changes: createChanges(app) });
      continue;
    }
    const changes = appChanges(running, app, env[app.name] ?? {});
    const dropsNeeds = running.needs.some((n) => !app.needs.includes(n));
    apps.push({
      app: app.name,
      action: changes.length > 0 ? 'update' : 'unchanged',
      changes,
      // Detaching a need loses the app's access to its data: like a removal, only on request.
      ...(dropsNeeds && !options.prune ? { note: 'need removal skipped: needs --prune' } : {}),
    });
  }
  const wanted = new Set(desired.map((d) => d.name));
  for (const app of current.filter((c) => !wanted.has(c.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    apps.push(
      options.prune
        ? { app: app.name, action: 'remove', changes: [] }
        : { app: app.name, action: 'skip', changes: [], note: 'remove skipped: needs --prune' },
    );
  }
  return { prune: options.prune, apps };
}

/** A new app's settings as changes from nothing (its env by name only). */
function createChanges(app: DesiredApp): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of FIELDS) {
    const to = value(app, field);
    if (to !== undefined && to !== false) changes.push({ field, to });
  }
  for (const key of sorted(app.envKeys)) changes.push({ field: `env.${key}`, secret: true });
  return changes;
}
