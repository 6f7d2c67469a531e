import type { ErrorDetail } from '../errors.js';
import { needClashes, needsOfEnv } from '../needs/registry.js';
import { PLATFORM_SERVICE_NAMES } from '../platform-names.js';

// Rules a manifest and a compose file's `x-minicloud` share, each given where its field sits
// (`expose` in a manifest, `x-minicloud.expose` in a compose file), so both name the same
// mistakes in the same words.

/** A port exposed twice, and more than one http port (the proxy routes to one). */
export function exposeErrors(expose: readonly { proto: string; port: number }[], path: string): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const ports = new Set<number>();
  expose.forEach((e, i) => {
    if (ports.has(e.port)) errors.push({ path: `${path}[${i}].port`, message: `port ${e.port} is exposed twice` });
    ports.add(e.port);
  });
  const http = expose.filter((e) => e.proto === 'http');
  if (http.length > 1) {
    const second = expose.indexOf(http[1]!);
    errors.push({
      path: `${path}[${second}].proto`,
      message: 'only one http port can be exposed (the proxy routes to one)',
    });
  }
  return errors;
}

/** Env names the platform sets itself from `needs` (each kind's env): an app may not set them. */
export function needEnvErrors(names: readonly string[], path: string): ErrorDetail[] {
  return names.flatMap((key) => {
    const needs = needsOfEnv(key);
    if (needs.length === 0) return [];
    return [{ path: `${path}.${key}`, message: `is set by the platform from needs: ${needs.join(' or ')}; remove it` }];
  });
}

/** Two needs that give the same env variable. */
export function needClashErrors(needs: readonly string[], path: string): ErrorDetail[] {
  return needClashes(needs).map((clash) => {
    const [a, b] = clash.needs;
    return { path, message: `${a} and ${b} both give ${clash.env.join(', ')}: an app needs one or the other` };
  });
}

/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * The platform's services answer to these names; an app's own service must not even look like
 * one (on the shared networks apps answer only to <app>_<service> anyway).
 */
export function platformNameError(name: string, path: string): ErrorDetail | undefined {
  if (!PLATFORM_SERVICE_NAMES.includes(name)) return undefined;
  return {
    path,
    message: `"${name}" is the name of a platform service (${PLATFORM_SERVICE_NAMES.join(', ')}); choose another`,
  };
}
