import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { ErrorDetail } from '../errors.js';

type SchemaNode = Record<string, unknown> & {
  'x-rule'?: string;
  'x-key-rule'?: string;
  properties?: Record<string, unknown>;
};

/** `/expose/0/port` -> `expose[0].port` (JSON pointer to the path users write). */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^[0-9]+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function suggestion(key: string, known: string[]): string {
  if (known.length === 0) return '';
  const best = closest(key, known);
  // Only suggest a name that is plausibly a typo: at most a third of its letters differ.
  return distance(key, best) <= Math.max(1, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function describeOne(err: ErrorObject): ErrorDetail {
  const path = pointerToPath(err.instancePath);
  const schema = (err.parentSchema ?? {}) as SchemaNode;
  switch (err.keyword) {
    case 'required':
      return { path: join(path, String(err.params['missingProperty'])), message: 'is required' };
    case 'additionalProperties': {
      const key = String(err.params['additionalProperty']);
      const keyRule = schema['x-key-rule'];
      if (keyRule) return { path: join(path, key), message: keyRule };
      const known = Object.keys(schema.properties ?? {});
      return { path: join(path, key), message: `is not a known field${suggestion(key, known)}` };
    }
    default:
      return { path, message: schema['x-rule'] ?? err.message ?? 'is invalid' };
  }
}

/**
 * Turns ajv's keyword-level errors into one sentence per field. A failed union (anyOf) is
 * reported once with its own rule instead of once per branch that did not match.
 */
export function describeErrors(errors: readonly ErrorObject[]): ErrorDetail[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const insideUnion = (e: ErrorObject) =>
    unions.some((u) => u !== e && e.schemaPath.startsWith(u.schemaPath.replace(/\/anyOf$/, '/anyOf/')));
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const err of errors) {
    if (insideUnion(err)) continue;
    const detail = describeOne(err);
    const key = `${detail.path}\u0000${detail.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push(detail);
  }
  return details;
}
