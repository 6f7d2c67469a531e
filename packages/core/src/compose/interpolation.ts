/**
 * `docker stack deploy` substitutes `$VAR` and `${VAR}` in every string of a compose file.
 * A literal dollar in an app's env value or command must therefore be written `$$`.
 */
export function escapeInterpolation(text: string): string {
  return text.replace(/\$/g, '$$$$');
}
