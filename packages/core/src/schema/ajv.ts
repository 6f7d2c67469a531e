import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema, Static } from '@sinclair/typebox';
import type { ErrorDetail } from '../errors.js';
import { describeErrors } from './describe-errors.js';

// ajv ships CommonJS with `default` on the module object; this is the documented ESM import.
const Ajv = AjvModule.default;

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
// Our own annotations: the sentence to print for a field, and for a map's bad key.
ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' });
ajv.addKeyword({ keyword: 'x-key-rule', schemaType: 'string' });

export type CheckResult<T> = { ok: true; value: T } | { ok: false; details: ErrorDetail[] };

export interface Checker<T> {
  (value: unknown): CheckResult<T>;
}

/** Compiles a schema once into a checker that reports every error, by field path. */
export function compileChecker<S extends TSchema>(schema: S): Checker<Static<S>> {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown) => {
    if (validate(value)) return { ok: true, value: value as Static<S> };
    return { ok: false, details: describeErrors((validate.errors ?? []) as ErrorObject[]) };
  };
}
