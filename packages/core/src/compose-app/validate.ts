import { MinicloudError, type ErrorDetail } from '../errors.js';
import { compileChecker } from '../schema/ajv.js';
import { interpolate } from '../compose/interpolate.js';
import { parseComposeYaml, validateCompose } from '../compose/load.js';
import { normaliseCompose } from '../compose/normalise.js';
import type { ComposeInput } from '../compose/schema.js';
import type { ComposeFile } from '../compose/types.js';
import { DEFAULT_STORAGE_PATH } from '../manifest/normalise.js';
import { exposeErrors, needClashErrors } from '../manifest/rules.js';
import { NEED_NAMES, type NeedName } from '../needs/registry.js';
import { allowlistErrors } from './allowlist.js';
import { XMinicloudSchema, type XMinicloudInput } from './schema.js';

// A plain compose file as an app (issue 17): the file, checked by the general compose loader
// and by the app allowlist (allowlist.ts), and its `x-minicloud` extension, checked by its
// schema and the rules between it and the services. Pure: text in, a ComposeApp or every
// error at once (MC_COMPOSE_INVALID, each detail naming its path) out.

export const EXTENSION_KEY = 'x-minicloud';

/** A validated compose app: what compileComposeApp works from. */
export interface ComposeApp {
  /** The file in the loader's long forms, without its extensions. */
  compose: ComposeFile;
  /** The ports of the one service the proxy routes to, as written. */
  expose: { service: string; proto: 'http' | 'tcp'; port: number }[];
  /** In the registry's order, as a manifest's are. */
  needs: NeedName[];
  storage?: { service: string; path: string };
  domains: string[];
  /** Services on the app's private network only: no proxy, no shared services, no needs' env. */
  private: string[];
}

const checkExtension = compileChecker(XMinicloudSchema);

const under = (path: string) => (path === '' ? EXTENSION_KEY : `${EXTENSION_KEY}.${path}`);

function listed(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

/** The rules between x-minicloud and the file's services. */
function extensionErrors(ext: XMinicloudInput, services: readonly string[]): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const unknown = (name: string, path: string) => {
    if (!services.includes(name))
      errors.push({ path: under(path), message: `names no service of this file (${listed(services)})` });
  };
  const priv = ext.private ?? [];
  priv.forEach((name, i) => unknown(name, `private[${i}]`));
  const expose = ext.expose ?? [];
  const routed = expose[0]?.service;
  expose.forEach((e, i) => {
    unknown(e.service, `expose[${i}].service`);
    if (e.service !== routed) {
      errors.push({
        path: under(`expose[${i}].service`),
        message: `must be ${routed} as in expose[0]: the proxy routes an app's domains to one service`,
      });
    }
  });
  if (routed !== undefined && priv.includes(routed)) {
    errors.push({ path: under('expose[0].service'), message: `${routed} is private: a private service is not routed` });
  }
  errors.push(...exposeErrors(expose, under('expose')));
  errors.push(...needClashErrors(ext.needs ?? [], under('needs')));
  if ((ext.needs ?? []).includes('storage') && !ext.storage) {
    errors.push({
      path: under('storage'),
      message: 'is required with needs: storage: it names the service that mounts it',
    });
  }
  if (ext.storage) {
    unknown(ext.storage.service, 'storage.service');
    if (priv.includes(ext.storage.service)) {
      errors.push({ path: under('storage.service'), message: `${ext.storage.service} is private: it gets no needs` });
    }
    if (!(ext.needs ?? []).includes('storage')) {
      errors.push({
        path: under('storage'),
        message: 'is only used with needs: storage; add it to needs or remove this',
      });
    }
  }
  return errors;
}

const related = (a: string, b: string) =>
  a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);

/**
 * The allowlist on a file the loader refused, so that one run names every refused key: it
 * reads the loader's long forms, so a file it cannot normalise is skipped, and so is a finding
 * next to a path the loader already reported.
 */
function bestEffortAllowlist(doc: unknown, reported: readonly ErrorDetail[]): ErrorDetail[] {
  let found: ErrorDetail[];
  try {
    found = allowlistErrors(normaliseCompose(doc as ComposeInput, { errors: [] }));
  } catch {
    return [];
  }
  return found.filter((d) => !reported.some((r) => related(d.path, r.path)));
}

function serviceKeys(doc: unknown): string[] {
  const services = (doc as { services?: unknown } | null)?.services;
  return typeof services === 'object' && services !== null && !Array.isArray(services) ? Object.keys(services) : [];
}

/**
 * Checks an interpolated compose document as an app and returns it; throws MC_COMPOSE_INVALID
 * with every error of the file, its allowlist and its x-minicloud at once.
 */
export function validateComposeApp(doc: unknown, source = 'compose file'): ComposeApp {
  const details: ErrorDetail[] = [];
  let compose: ComposeFile | undefined;
  try {
    compose = validateCompose(doc, source);
  } catch (err) {
    if (!(err instanceof MinicloudError) || err.code !== 'MC_COMPOSE_INVALID') throw err;
    details.push(...err.details);
  }
  details.push(...(compose ? allowlistErrors(compose) : bestEffortAllowlist(doc, details)));
  const services = serviceKeys(doc);
  if (compose && services.length === 0) details.push({ path: 'services', message: 'must have at least one service' });

  const raw = (doc as Record<string, unknown> | null)?.[EXTENSION_KEY] ?? {};
  const checked = checkExtension(raw);
  if (checked.ok) details.push(...extensionErrors(checked.value, services));
  else details.push(...checked.details.map((d) => ({ ...d, path: under(d.path) })));

  if (details.length > 0 || !compose || !checked.ok) {
    const noun = details.length === 1 ? 'error' : 'errors';
    throw new MinicloudError('MC_COMPOSE_INVALID', `${source} has ${details.length} ${noun}`, details);
  }
  const ext = checked.value;
  return {
    compose,
    expose: (ext.expose ?? []).map((e) => ({ service: e.service, proto: e.proto, port: e.port })),
    needs: NEED_NAMES.filter((n) => (ext.needs ?? []).includes(n)),
    ...(ext.storage
      ? { storage: { service: ext.storage.service, path: ext.storage.path ?? DEFAULT_STORAGE_PATH } }
      : {}),
    domains: [...(ext.domains ?? [])],
    private: [...(ext.private ?? [])].sort(),
  };
}

/**
 * The pure pipeline for text in hand: parse -> interpolate -> validate as an app. The file is
 * a tenant's, so it is interpolated from nothing: `${VAR:-default}` gives its default, `$$` a
 * literal dollar, and no variable of the platform's environment ever reaches it.
 */
export function composeAppFromText(text: string, source = 'compose file'): ComposeApp {
  return validateComposeApp(interpolate(parseComposeYaml(text, source), {}), source);
}
