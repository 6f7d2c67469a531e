import type { ErrorDetail } from '../errors.js';

// Small rewrites shared by every part of a compose file: mapping-or-list values, scalars that
// docker reads as strings, and the old `external: {name}` spelling.

export interface Findings {
  errors: ErrorDetail[];
}

export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;

type Scalar = string | number | boolean | null;
export type ListOrMapInput = string[] | Record<string, Scalar>;

/** Go's fmt.Sprint of a YAML scalar, which is how docker turns `PORT: 80` into "80". */
export const scalarText = (value: string | number | boolean): string => String(value);

/**
 * `{K: v}` or `[K=v, K]` as ordered entries, null standing for "no value": a map's `K:` or a
 * list's bare `K`. A list entry splits at its first `=`, so values may contain `=`.
 */
function entries(value: ListOrMapInput, path: string, f: Findings): [string, string | null][] {
  if (!Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => [k, v === null ? null : scalarText(v)]);
  }
  const out: [string, string | null][] = [];
  value.forEach((item, i) => {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (key === '') f.errors.push({ path: at(path, i), message: 'must start with a name before "="' });
    else out.push([key, eq === -1 ? null : item.slice(eq + 1)]);
  });
  return out;
}

/** Labels: a label without a value is the empty string (docker's transformMappingOrList). */
export function toLabels(value: ListOrMapInput, path: string, f: Findings): Record<string, string> {
  // fromEntries defines own properties: a key named __proto__ stays an ordinary key.
  return Object.fromEntries(entries(value, path, f).map(([k, v]) => [k, v ?? '']));
}

/** Environment keeps "no value" as null: the converter looks such names up at deploy time. */
export function toEnvironment(value: ListOrMapInput, path: string, f: Findings): Record<string, string | null> {
  return Object.fromEntries(entries(value, path, f));
}

export function toStringMap(value: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scalarText(v)]));
}

/** Resolves `external: {name: x}` into `external: true` + `name: x`, as docker's loader does. */
export function resolveExternal(
  obj: { external?: boolean | { name?: string }; name?: string },
  path: string,
  f: Findings,
): { external?: boolean; name?: string } {
  const { external, name } = obj;
  if (typeof external !== 'object') {
    return { ...(external !== undefined ? { external } : {}), ...(name !== undefined ? { name } : {}) };
  }
  if (external.name !== undefined && name !== undefined) {
    f.errors.push({ path: at(path, 'external.name'), message: 'conflicts with name; only use name' });
  }
  const resolved = name ?? external.name;
  return { external: true, ...(resolved !== undefined ? { name: resolved } : {}) };
}

/** Keys that make no sense on an object that already exists, reported where they are set. */
export function externalConflicts(obj: object, keys: string[], path: string, f: Findings): void {
  for (const key of keys) {
    if (key in obj) f.errors.push({ path: at(path, key), message: 'cannot be combined with external: true' });
  }
}

/** Copy without extension keys (x-...): they hold anchors and tool settings, not stack config. */
export function dropExtensions<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([key]) => !key.startsWith('x-'))) as T;
}
