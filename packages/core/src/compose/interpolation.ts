/**
 * `docker stack deploy` substitutes `$VAR` and `${VAR}` in every string of a compose file.
 * A literal dollar in an app's env value or command must therefore be written `$$`.
 */
export function escapeInterpolation(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/** escapeInterpolation on every string value of a tree (keys are not interpolated, so kept). */
export function escapeInterpolationDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeInterpolation(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => escapeInterpolationDeep(item)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolationDeep(v)])) as T;
  }
  return value;
}
