import AjvModule, { type Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

// ajv ships CommonJS with `default` on the module object (the same import as core's).
const AjvClass = AjvModule.default;

/** The schemas' own annotations: the sentence an error prints for a field, and for a map's bad key. */
function annotations(ajv: Ajv): Ajv {
  return ajv
    .addKeyword({ keyword: 'x-rule', schemaType: 'string' })
    .addKeyword({ keyword: 'x-key-rule', schemaType: 'string' });
}

/**
 * Request validation: bodies are JSON and are taken as typed (no coercion, so `"3"` is not a
 * replica count); parameters and query strings are text and are coerced (`?wait=true`).
 * Every error is reported, verbose, so the error handler can print the schema's `x-rule`.
 */
export function validatorCompiler(shared: readonly TSchema[]): FastifySchemaCompiler<TSchema> {
  const make = (coerce: boolean) => {
    const ajv = annotations(
      new AjvClass({
        allErrors: true,
        verbose: true,
        removeAdditional: false,
        coerceTypes: coerce ? 'array' : false,
        useDefaults: true,
      }),
    );
    for (const schema of shared) ajv.addSchema(schema);
    return ajv;
  };
  const body = make(false);
  const text = make(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema);
}
