import yaml from 'js-yaml';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import { compileChecker } from '../schema/ajv.js';
import { documentBoundsError } from '../schema/document-bounds.js';
import { interpolate, type InterpolationEnv } from './interpolate.js';
import { normaliseCompose } from './normalise.js';
import { referenceErrors } from './references.js';
import { ComposeSchema, type ComposeInput } from './schema.js';
import type { ComposeFile } from './types.js';
import { COMPOSE_YAML_SCHEMA } from './yaml-schema.js';

// Loading a compose file the way `docker stack deploy` does, as a pipeline of pure stages:
// parse (YAML) -> interpolate (compose/interpolate.ts) -> validate (schema, then normalise the
// short syntaxes, then check the names services refer to). Every error of a stage at once.

/**
 * Text to plain data; a syntax error names the line and column. Duplicate keys are errors, and
 * so is a document too large or deep for the later stages (schema/document-bounds.ts).
 */
export function parseComposeYaml(text: string, source = 'compose file'): unknown {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: COMPOSE_YAML_SCHEMA, filename: source });
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) throw err;
    const reason = `line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${err.reason}`;
    throw new MinicloudError('MC_COMPOSE_INVALID', `${source} is not valid YAML: ${reason}`, [
      { path: '', message: reason },
    ]);
  }
  const tooBig = documentBoundsError(doc);
  if (tooBig) throw new MinicloudError('MC_COMPOSE_INVALID', `${source} is too large: ${tooBig.message}`, [tooBig]);
  return doc;
}

const checkSchema = compileChecker(ComposeSchema);

/** ajv's summary line for an if/then/else (schema-parts.ts Either); the branch's own error says more. */
const BRANCH_SUMMARY = /^must match "(then|else)" schema$/;

const related = (a: string, b: string) =>
  a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);

/**
 * The later stages on a document that broke the schema, so one run reports every error. They
 * assume well-typed input, so a stage that trips is dropped, and so is any finding next to a
 * field the schema already complained about.
 */
function bestEffortLaterStages(doc: unknown, reported: ErrorDetail[]): ErrorDetail[] {
  const f = { errors: [] as ErrorDetail[] };
  let found: ErrorDetail[];
  try {
    const compose = normaliseCompose(doc as ComposeInput, f);
    found = [...f.errors, ...referenceErrors(compose)];
  } catch {
    return [];
  }
  return found.filter((d) => !reported.some((r) => related(d.path, r.path)));
}

function invalid(source: string, details: ErrorDetail[]): MinicloudError {
  const noun = details.length === 1 ? 'error' : 'errors';
  return new MinicloudError('MC_COMPOSE_INVALID', `${source} has ${details.length} ${noun}`, details);
}

/**
 * Checks an interpolated document and returns it in the long forms of compose/types.ts.
 * Unsupported keys are errors with their path, never dropped; all errors are thrown at once.
 */
export function validateCompose(doc: unknown, source = 'compose file'): ComposeFile {
  const tooBig = documentBoundsError(doc); // a document that came as JSON, not through parseComposeYaml
  if (tooBig) throw new MinicloudError('MC_COMPOSE_INVALID', `${source} is too large: ${tooBig.message}`, [tooBig]);
  const result = checkSchema(doc);
  if (!result.ok) {
    const reported = result.details.filter((d) => !BRANCH_SUMMARY.test(d.message));
    throw invalid(source, [...reported, ...bestEffortLaterStages(doc, reported)]);
  }
  const f = { errors: [] as ErrorDetail[] };
  const compose = normaliseCompose(result.value, f);
  const details = [...f.errors, ...referenceErrors(compose)];
  if (details.length > 0) throw invalid(source, details);
  return compose;
}

/** The whole pure pipeline for text in hand: parse -> interpolate with `env` -> validate. */
export function composeFromText(text: string, source: string, env: InterpolationEnv): ComposeFile {
  return validateCompose(interpolate(parseComposeYaml(text, source), env), source);
}
