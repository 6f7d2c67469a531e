import { NEED_NAMES } from '../needs/registry.js';
import type { Manifest, ManifestInput } from './schema.js';

export const DEFAULT_STORAGE_PATH = '/data';
export const DEFAULT_HEALTHCHECK_INTERVAL = '30s';

export type { Manifest } from './schema.js';
export type ExposedPort = Manifest['expose'][number];
export type RunnerSpec = Manifest['runners'][number];
export type HealthcheckSpec = NonNullable<Manifest['healthcheck']>;

/** Fills defaults and puts sets in a fixed order, so equal manifests compile byte-identically. */
export function normaliseManifest(m: ManifestInput): Manifest {
  const env: Record<string, string> = {};
  for (const key of Object.keys(m.env ?? {}).sort()) env[key] = String(m.env![key]);
  const needs = NEED_NAMES.filter((n) => (m.needs ?? []).includes(n));
  const manifest: Manifest = {
    name: m.name,
    expose: (m.expose ?? []).map((e) => ({ proto: e.proto, port: e.port })),
    needs,
    env,
    runners: (m.runners ?? []).map((r) => ({ name: r.name, command: r.command, replicas: r.replicas ?? 1 })),
    resources: { ...(m.resources ?? {}) },
    storage: { path: m.storage?.path ?? DEFAULT_STORAGE_PATH },
  };
  if (m.healthcheck) {
    manifest.healthcheck = { ...m.healthcheck, interval: m.healthcheck.interval ?? DEFAULT_HEALTHCHECK_INTERVAL };
  }
  return manifest;
}
