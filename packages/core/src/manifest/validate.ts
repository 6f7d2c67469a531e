import { compileChecker } from '../schema/ajv.js';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import { exposeErrors, MIN_MEMORY, needClashErrors, needEnvErrors, platformNameError } from './rules.js';
import { ManifestSchema, type ManifestInput } from './schema.js';
import { parseMemory } from './units.js';

const checkSchema = compileChecker(ManifestSchema);

/** Rules that span fields, which JSON Schema cannot say clearly. */
function crossFieldErrors(m: ManifestInput): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const expose = m.expose ?? [];
  const http = expose.filter((e) => e.proto === 'http');
  errors.push(...exposeErrors(expose, 'expose'));
  const names = new Set<string>(['web']);
  (m.runners ?? []).forEach((r, i) => {
    const platform = platformNameError(r.name, `runners[${i}].name`);
    if (platform) {
      errors.push(platform);
    } else if (names.has(r.name)) {
      const why = r.name === 'web' ? '"web" is the name of the main service' : `runner "${r.name}" is defined twice`;
      errors.push({ path: `runners[${i}].name`, message: `must be unique: ${why}` });
    }
    names.add(r.name);
  });
  errors.push(...needEnvErrors(Object.keys(m.env ?? {}), 'env'));
  errors.push(...needClashErrors(m.needs ?? [], 'needs'));
  const hc = m.healthcheck;
  if (hc) {
    if ((hc.http === undefined) === (hc.command === undefined)) {
      errors.push({ path: 'healthcheck', message: 'must have exactly one of http or command' });
    } else if (hc.http !== undefined && http.length === 0) {
      errors.push({ path: 'healthcheck.http', message: 'needs an exposed http port to check' });
    }
  }
  const memory = m.resources?.memory;
  if (memory !== undefined && parseMemory(memory) < MIN_MEMORY) {
    errors.push({ path: 'resources.memory', message: 'must be at least 6M (Docker refuses less)' });
  }
  if (m.storage && !(m.needs ?? []).includes('storage')) {
    errors.push({ path: 'storage', message: 'is only used with needs: storage; add it to needs or remove this' });
  }
  return errors;
}

/**
 * So that one run reports every error, the cross-field rules also run on a document that broke
 * the schema. They assume well-typed fields, so a rule that trips over a bad type is dropped,
 * and so is any finding on a field the schema already complained about.
 */
function bestEffortCrossField(data: unknown, reported: ErrorDetail[]): ErrorDetail[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [];
  let found: ErrorDetail[];
  try {
    found = crossFieldErrors(data as ManifestInput);
  } catch {
    return [];
  }
  const covered = (path: string) =>
    reported.some((r) => path === r.path || path.startsWith(`${r.path}.`) || path.startsWith(`${r.path}[`));
  return found.filter((d) => !covered(d.path));
}

/** Checks parsed data against the schema and the cross-field rules; throws with every error at once. */
export function validateManifest(data: unknown, source = 'manifest'): ManifestInput {
  const result = checkSchema(data);
  const details = result.ok
    ? crossFieldErrors(result.value)
    : [...result.details, ...bestEffortCrossField(data, result.details)];
  if (details.length > 0) {
    const noun = details.length === 1 ? 'error' : 'errors';
    throw new MinicloudError('MC_MANIFEST_INVALID', `${source} has ${details.length} ${noun}`, details);
  }
  return data as ManifestInput;
}
