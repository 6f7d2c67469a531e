import { SPEC_HASH_LABEL } from './types.js';

/**
 * Fields the engine fills in on its own when it stores a spec. Their presence on the running
 * service and absence from the desired one is not a change anybody asked for.
 */
const ENGINE_FILLED = new Set([
  'TaskTemplate.ForceUpdate',
  'TaskTemplate.Runtime',
  'TaskTemplate.ContainerSpec.Isolation',
]);

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Dotted paths where two service specs differ, for the plan's "update (fields)" line.
 * Lists compare whole (an env list that changed is one field), and a field only the running
 * spec has counts as changed unless it holds the engine's empty default.
 */
export function changedFields(before: unknown, after: unknown, prefix = ''): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (path === `Labels.${SPEC_HASH_LABEL}` || ENGINE_FILLED.has(path)) return [];
      if (after[key] === undefined && isEmpty(before[key])) return [];
      return changedFields(before[key], after[key], path);
    });
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}
