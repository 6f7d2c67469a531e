import fc from 'fast-check';

// Values that follow a route's JSON Schema (as the OpenAPI document gives it), so that fuzzed
// requests get past validation and into the handlers, where mutations of them then land. The
// subset our schemas use: $ref to components, enum/const, anyOf/oneOf, string patterns,
// number bounds, arrays and objects with required keys.

export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  examples?: unknown[];
}

export type Components = Record<string, Schema>;

function text(s: Schema): fc.Arbitrary<string> {
  if (s.pattern !== undefined) {
    try {
      const re = new RegExp(s.pattern, 'u');
      const max = s.maxLength;
      return fc.stringMatching(re).filter((v) => max === undefined || v.length <= max);
    } catch {
      // A pattern fast-check cannot generate from: plain text, which mostly fails it.
    }
  }
  return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 20, 20) });
}

/** An arbitrary of values valid against `schema` (mostly: patterns with lookarounds may not be). */
export function fromSchema(schema: Schema, components: Components, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const target = components[schema.$ref.split('/').pop()!];
    return target ? fromSchema(target, components, depth) : fc.jsonValue({ maxDepth: 1 });
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf?.slice(0, 1);
  if (branches?.length) return fc.oneof(...branches.map((b) => fromSchema(b, components, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return text(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -5, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items && depth < 6 ? fromSchema(schema.items, components, depth + 1) : fc.string(), {
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case 'object': {
      const props = schema.properties ?? {};
      if (Object.keys(props).length === 0 || depth >= 6) {
        const values =
          typeof schema.additionalProperties === 'object' ? schema.additionalProperties : { type: 'string' };
        return fc.dictionary(fc.stringMatching(/^[A-Z_]{1,8}$/), fromSchema(values, components, depth + 1), {
          maxKeys: 3,
        });
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = fromSchema(v, components, depth + 1);
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
