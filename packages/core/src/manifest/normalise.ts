import { NEED_NAMES, type NeedName } from '../needs/registry.js';
import type { ManifestInput } from './schema.js';

export const DEFAULT_STORAGE_PATH = '/data';
export const DEFAULT_HEALTHCHECK_INTERVAL = '30s';

export interface ExposedPort {
  proto: 'http' | 'tcp';
  port: number;
}

export interface RunnerSpec {
  name: string;
  command: string | string[];
  replicas: number;
}

export interface HealthcheckSpec {
  http?: string;
  command?: string | string[];
  interval: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

/** A validated manifest with every default filled in: what the compiler works from. */
export interface Manifest {
  name: string;
  expose: ExposedPort[];
  needs: NeedName[];
  env: Record<string, string>;
  runners: RunnerSpec[];
  healthcheck?: HealthcheckSpec;
  resources: { memory?: string; cpus?: number };
  storage: { path: string };
}

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
