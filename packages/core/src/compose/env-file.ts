import { MinicloudError, type ErrorDetail } from '../errors.js';

// An env_file as the docker CLI reads it (docker/cli pkg/kvfile/kvfile.go): not a shell file.
// `KEY=VALUE` lines are taken as they are, quotes and trailing spaces included; there is no
// interpolation and no escaping, so a value cannot span lines.

/** Where a bare `KEY` line gets its value: the environment of the deploy. */
export type EnvLookup = (name: string) => string | undefined;

const noLookup: EnvLookup = () => undefined;

/**
 * Parses env file text into ordered variables; a later line wins over an earlier one.
 * - leading whitespace of a line is dropped (a BOM too); the rest of the line is kept;
 * - blank lines and lines starting with `#` are skipped (a `#` later in a line is value);
 * - `KEY` alone takes its value from `lookup`, and is left out when that has none;
 * - an empty name, or a name with a space or tab, is an error naming `path` and the line.
 */
export function parseEnvFile(text: string, path: string, lookup: EnvLookup = noLookup): Record<string, string> {
  const vars = new Map<string, string>();
  const errors: ErrorDetail[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  // A final newline ends the last line; it does not start an empty one.
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    // Go's line scanner drops the \r of a CRLF ending.
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq === -1 ? line : line.slice(0, eq);
    const where = `${path}:${index + 1}`;
    if (name === '') {
      errors.push({ path: where, message: `no variable name before "=" in ${JSON.stringify(line)}` });
    } else if (/[ \t]/.test(name)) {
      errors.push({ path: where, message: `variable name ${JSON.stringify(name)} contains whitespace` });
    } else if (eq !== -1) {
      vars.set(name, line.slice(eq + 1));
    } else {
      const value = lookup(name);
      if (value !== undefined) vars.set(name, value);
    }
  });
  if (errors.length > 0) {
    throw new MinicloudError('MC_COMPOSE_INVALID', `env file ${path} is invalid`, errors);
  }
  // fromEntries defines own properties, so a variable named __proto__ stays a variable.
  return Object.fromEntries(vars);
}
