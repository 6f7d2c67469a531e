import type { ServiceInput } from './schema.js';
import type { ComposeFileReference, ComposePort, ComposeService, ComposeVolumeMount } from './types.js';
import { at, scalarText, toEnvironment, toLabels, type Findings } from './normalise-values.js';
import { parsePortSpec, parseVolumeSpec } from './short-syntax.js';
import { normaliseDeploy } from './normalise-deploy.js';

// One service of a checked compose file, rewritten into the long forms of compose/types.ts.

type PortInput = NonNullable<ServiceInput['ports']>[number];
type VolumeInput = NonNullable<ServiceInput['volumes']>[number];
type ReferenceInput = NonNullable<ServiceInput['secrets']>[number];

function ports(list: PortInput[], path: string, f: Findings): ComposePort[] {
  return list.flatMap((item, i) => {
    if (typeof item === 'object') return [item as ComposePort];
    const parsed = parsePortSpec(item);
    if (parsed.ok) return parsed.value;
    f.errors.push({ path: at(path, i), message: parsed.message });
    return [];
  });
}

/** Rules for both syntaxes: what each mount type needs, and which options it takes. */
function checkMount(m: ComposeVolumeMount, path: string, f: Findings): void {
  const error = (message: string) => f.errors.push({ path, message });
  const others = (['bind', 'volume', 'tmpfs'] as const).filter((t) => t !== m.type && m[t] !== undefined);
  if (others.length > 0) error(`${others.join(', ')} options do not apply to a ${m.type} mount`);
  if (m.type === 'bind' && (m.source === undefined || !m.source.startsWith('/'))) {
    error('a bind mount needs an absolute source path on the node (relative paths and ~ are not supported)');
  }
  if (m.type === 'tmpfs' && m.source !== undefined) error('a tmpfs mount has no source');
  if (!m.target.startsWith('/')) error('the target must be an absolute path in the container');
}

function volumes(list: VolumeInput[], path: string, f: Findings): ComposeVolumeMount[] {
  return list.flatMap((item, i) => {
    let mount: ComposeVolumeMount;
    if (typeof item === 'string') {
      const parsed = parseVolumeSpec(item);
      if (!parsed.ok) {
        f.errors.push({ path: at(path, i), message: parsed.message });
        return [];
      }
      mount = parsed.value;
    } else {
      mount = { ...(item as ComposeVolumeMount) };
    }
    if (mount.source === '') delete mount.source;
    checkMount(mount, at(path, i), f);
    return [mount];
  });
}

function references(list: ReferenceInput[]): ComposeFileReference[] {
  return list.map((item) => {
    if (typeof item === 'string') return { source: item };
    const { uid, gid, ...rest } = item;
    return {
      ...rest,
      ...(uid !== undefined ? { uid: scalarText(uid) } : {}),
      ...(gid !== undefined ? { gid: scalarText(gid) } : {}),
    };
  });
}

function networks(value: NonNullable<ServiceInput['networks']>): NonNullable<ComposeService['networks']> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((name) => [name, null]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? null : { ...v }]));
}

function healthcheck(hc: NonNullable<ServiceInput['healthcheck']>, path: string, f: Findings) {
  const { test, ...rest } = hc;
  const list = typeof test === 'string' ? ['CMD-SHELL', test] : test;
  if (list && list.length > 0 && !['NONE', 'CMD', 'CMD-SHELL'].includes(list[0]!)) {
    f.errors.push({ path: at(path, 'test[0]'), message: 'must be CMD, CMD-SHELL or NONE (or write test as a string)' });
  }
  if (hc.disable === true && list !== undefined && list.length > 0) {
    f.errors.push({ path: at(path, 'disable'), message: 'cannot be combined with test' });
  }
  return { ...(list !== undefined ? { test: list } : {}), ...rest };
}

/** The written service, with every short syntax replaced by its long form. */
export function normaliseService(input: ServiceInput, path: string, f: Findings): ComposeService {
  const {
    environment,
    env_file,
    ports: p,
    networks: n,
    volumes: v,
    secrets,
    configs,
    healthcheck: hc,
    ...rest
  } = input;
  const { labels, deploy, ...plain } = rest;
  const service: Record<string, unknown> = {};
  // Extension keys (x-...) are for anchors and tools; nothing reads them after loading.
  for (const [key, value] of Object.entries(plain)) if (!key.startsWith('x-')) service[key] = value;
  const s = service as ComposeService;
  if (environment !== undefined) s.environment = toEnvironment(environment, at(path, 'environment'), f);
  if (env_file !== undefined) s.env_file = typeof env_file === 'string' ? [env_file] : [...env_file];
  if (p !== undefined) s.ports = ports(p, at(path, 'ports'), f);
  if (n !== undefined) s.networks = networks(n);
  if (v !== undefined) s.volumes = volumes(v, at(path, 'volumes'), f);
  if (secrets !== undefined) s.secrets = references(secrets);
  if (configs !== undefined) s.configs = references(configs);
  if (hc !== undefined) s.healthcheck = healthcheck(hc, at(path, 'healthcheck'), f);
  if (labels !== undefined) s.labels = toLabels(labels, at(path, 'labels'), f);
  if (deploy !== undefined && deploy !== null) s.deploy = normaliseDeploy(deploy, at(path, 'deploy'), f);
  if (s.deploy?.endpoint_mode === 'dnsrr' && (s.ports ?? []).some((port) => port.mode !== 'host')) {
    // The engine refuses this combination; say so before anything is created.
    f.errors.push({ path: at(path, 'ports'), message: 'with endpoint_mode: dnsrr, ports must use mode: host' });
  }
  return s;
}
