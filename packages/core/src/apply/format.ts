import type { Drift } from './diff.js';
import type { ApplyPlan, FieldChange } from './types.js';

const shown = (value: unknown) =>
  value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);

function change(c: FieldChange): string {
  if (c.secret) return `${c.field} (secret differs)`;
  return `${c.field}: ${shown(c.from)} -> ${shown(c.to)}`;
}

/** Rows of the plan's table: APP, ACTION, CHANGES (env values never shown). */
export function formatApplyPlan(plan: ApplyPlan): string[][] {
  return plan.apps.map((e) => [
    e.app,
    e.action === 'skip' ? 'remove (skipped)' : e.action,
    [...e.changes.map(change), ...(e.note ? [e.note] : [])].join('; '),
  ]);
}

/** Rows of the diff's table: APP, SERVICE, FIELD, DIRECTORY, RUNNING. */
export function formatDrift(drift: readonly Drift[]): string[][] {
  return drift.map((d) =>
    d.secret
      ? [d.app, d.service, d.field, '(secret differs)', '(secret differs)']
      : [d.app, d.service, d.field, shown(d.directory), shown(d.running)],
  );
}
