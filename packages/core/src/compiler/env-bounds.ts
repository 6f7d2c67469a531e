import { Type } from '@sinclair/typebox';
import type { ErrorDetail } from '../errors.js';

// How much operator environment an app may carry. The env is operator input that anyone with
// the admin token or one app's deploy token sends, and it ends up in the swarm's service spec
// and in every task's execve: Linux refuses a single `NAME=value` over 128 KiB and all of them
// together over a few MiB (E2BIG, a task that never starts). So: at most 100 variables, names of
// at most 128 characters, values of at most 32 KiB, 256 KiB in all. The API's body schemas use
// the same bounds, so every path (CLI, API, admin pages) refuses the same things the same way.

export const ENV_BOUNDS = {
  maxVariables: 100,
  maxNameLength: 128,
  maxValueBytes: 32 * 1024,
  maxTotalBytes: 256 * 1024,
} as const;

/** A name: letters, digits and `_`, not starting with a digit, at most 128 characters. */
export const SETTINGS_ENV_NAME_PATTERN = `^[A-Za-z_][A-Za-z0-9_]{0,${ENV_BOUNDS.maxNameLength - 1}}$`;

export const SETTINGS_ENV_NAME_RULE = `is not a valid environment variable name (letters, digits and _, at most ${ENV_BOUNDS.maxNameLength})`;

/** A value, bounded in characters here; checkEnvBytes() bounds it in bytes. */
export const EnvValueSchema = Type.String({
  maxLength: ENV_BOUNDS.maxValueBytes,
  'x-rule': `must be a string of at most ${ENV_BOUNDS.maxValueBytes} characters`,
});

/** A name -> value map's own bounds (a JSON Schema `maxProperties` with its sentence). */
export const ENV_MAP_OPTIONS = {
  additionalProperties: false,
  maxProperties: ENV_BOUNDS.maxVariables,
  'x-rule': `must be a map of at most ${ENV_BOUNDS.maxVariables} variables`,
  'x-key-rule': SETTINGS_ENV_NAME_RULE,
} as const;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * What the schema cannot say: each value's size and the whole env's, in UTF-8 bytes (a value
 * of 32768 characters may be four times that). Counts `NAME=value` and its terminating NUL,
 * as execve does. `path` is where the env sits (`env`, `body.env`).
 */
export function checkEnvBytes(env: Readonly<Record<string, string>>, path = 'env'): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  let total = 0;
  for (const [name, value] of Object.entries(env)) {
    const size = bytes(value);
    if (size > ENV_BOUNDS.maxValueBytes) {
      details.push({ path: `${path}.${name}`, message: `is ${size} bytes; at most ${ENV_BOUNDS.maxValueBytes}` });
    }
    total += bytes(name) + 1 + size + 1;
  }
  if (total > ENV_BOUNDS.maxTotalBytes) {
    const kib = Math.ceil(total / 1024);
    details.push({ path, message: `is ${kib} KiB in all; at most ${ENV_BOUNDS.maxTotalBytes / 1024} KiB` });
  }
  return details;
}
