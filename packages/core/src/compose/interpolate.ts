import { MinicloudError, type ErrorDetail } from '../errors.js';
import { castFor } from './interpolate-cast.js';
import { substitute, TemplateError, type Lookup } from './template.js';

// Stage 2 of loading a compose file (after parsing): docker's variable substitution in every
// string value of the document, keys excepted (docker/cli cli/compose/interpolation/).
// The compiler writes a literal `$` as `$$` (compose/interpolation.ts), which this turns back.

export type InterpolationEnv = Readonly<Record<string, string | undefined>>;

function lookupIn(env: InterpolationEnv): Lookup {
  // Own keys only: `$constructor` must not find Object.prototype.constructor.
  return (name) => {
    const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

interface Walk {
  lookup: Lookup;
  errors: ErrorDetail[];
}

/** `segments` is the path for the cast table: `[]` for every list index, as docker writes it. */
function walk(value: unknown, path: string, segments: string[], w: Walk): unknown {
  if (typeof value === 'string') {
    let result: string;
    try {
      result = substitute(value, w.lookup);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      w.errors.push({ path, message: err.message });
      return value;
    }
    // Like docker, a field such as `replicas: ${N}` becomes a number, but only when a
    // substitution changed the text: a quoted "3" stays a string for the schema to refuse.
    const cast = result === value ? undefined : castFor(segments);
    if (!cast) return result;
    const casted = cast(result);
    if (casted === undefined) {
      w.errors.push({ path, message: `must be ${cast.expected} after interpolation, got ${JSON.stringify(result)}` });
    }
    return casted ?? result;
  }
  if (Array.isArray(value)) return value.map((item, i) => walk(item, joinPath(path, i), [...segments, '[]'], w));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a key named __proto__ stays an ordinary key.
      Object.defineProperty(out, key, {
        value: walk(item, joinPath(path, key), [...segments, key], w),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/**
 * Substitutes variables from `env` in every string of a parsed compose document and returns a
 * new document. Reports every bad template and missing required variable at once.
 */
export function interpolate(doc: unknown, env: InterpolationEnv): unknown {
  const w: Walk = { lookup: lookupIn(env), errors: [] };
  const out = walk(doc, '', [], w);
  if (w.errors.length > 0) {
    const noun = w.errors.length === 1 ? 'error' : 'errors';
    throw new MinicloudError(
      'MC_COMPOSE_INVALID',
      `compose file has ${w.errors.length} interpolation ${noun}`,
      w.errors,
    );
  }
  return out;
}
