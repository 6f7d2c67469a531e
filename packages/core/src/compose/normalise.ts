import type { ComposeInput } from './schema.js';
import type { ComposeFile, ComposeFileObject, ComposeNetwork, ComposeVolume } from './types.js';
import {
  dropExtensions,
  externalConflicts,
  resolveExternal,
  toLabels,
  toStringMap,
  type Findings,
} from './normalise-values.js';
import { normaliseService } from './normalise-service.js';

// A checked compose file -> compose/types.ts: short syntaxes into long forms, null entries
// into empty ones, YAML numbers into the strings docker reads. Problems go to `f.errors`.

/** What docker assumes when a file states no version, or just "3" (cli/compose/schema). */
export const DEFAULT_COMPOSE_VERSION = '3.13';

type NetworkInput = NonNullable<NonNullable<ComposeInput['networks']>[string]>;
type VolumeInput = NonNullable<NonNullable<ComposeInput['volumes']>[string]>;
type FileObjectInput = NonNullable<ComposeInput['secrets']>[string];

function network(input: NetworkInput | null, path: string, f: Findings): ComposeNetwork {
  if (input === null) return {};
  const { external: _e, name: _n, labels, driver_opts, ...rest } = dropExtensions(input);
  const out: ComposeNetwork = { ...rest, ...resolveExternal(input, path, f) };
  if (labels !== undefined) out.labels = toLabels(labels, `${path}.labels`, f);
  if (driver_opts !== undefined) out.driver_opts = toStringMap(driver_opts);
  if (out.external)
    externalConflicts(input, ['driver', 'driver_opts', 'attachable', 'internal', 'labels', 'ipam'], path, f);
  return out;
}

function volume(input: VolumeInput | null, path: string, f: Findings): ComposeVolume {
  if (input === null) return {};
  const { external: _e, name: _n, labels, driver_opts, ...rest } = dropExtensions(input);
  const out: ComposeVolume = { ...rest, ...resolveExternal(input, path, f) };
  if (labels !== undefined) out.labels = toLabels(labels, `${path}.labels`, f);
  if (driver_opts !== undefined) out.driver_opts = toStringMap(driver_opts);
  // docker/cli LoadVolumes refuses these with external too.
  if (out.external) externalConflicts(input, ['driver', 'driver_opts', 'labels'], path, f);
  return out;
}

function fileObject(input: FileObjectInput, path: string, f: Findings): ComposeFileObject {
  const { external: _e, name: _n, labels, ...rest } = dropExtensions(input);
  const out: ComposeFileObject = { ...rest, ...resolveExternal(input, path, f) };
  if (labels !== undefined) out.labels = toLabels(labels, `${path}.labels`, f);
  if (out.external) externalConflicts(input, ['file', 'labels'], path, f);
  else if (out.file === undefined) f.errors.push({ path, message: 'must have file, or external: true' });
  return out;
}

function mapEach<I, O>(
  input: Record<string, I> | undefined,
  section: string,
  fn: (value: I, path: string) => O,
): Record<string, O> | undefined {
  if (input === undefined) return undefined;
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, fn(value, `${section}.${key}`)]));
}

export function normaliseCompose(input: ComposeInput, f: Findings): ComposeFile {
  const version = input.version === undefined || String(input.version) === '3' ? undefined : String(input.version);
  const out: ComposeFile = {
    version: version ?? DEFAULT_COMPOSE_VERSION,
    services: mapEach(input.services, 'services', (s, path) => normaliseService(s, path, f)) ?? {},
  };
  const networks = mapEach(input.networks, 'networks', (n, path) => network(n, path, f));
  const volumes = mapEach(input.volumes, 'volumes', (v, path) => volume(v, path, f));
  const secrets = mapEach(input.secrets, 'secrets', (s, path) => fileObject(s, path, f));
  const configs = mapEach(input.configs, 'configs', (c, path) => fileObject(c, path, f));
  if (networks) out.networks = networks;
  if (volumes) out.volumes = volumes;
  if (secrets) out.secrets = secrets;
  if (configs) out.configs = configs;
  return out;
}
