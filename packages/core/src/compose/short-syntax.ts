import type { ComposePort, ComposeVolumeMount } from './types.js';

// The short syntaxes of `ports` and `volumes`, rewritten into their long forms the way the
// docker CLI does (docker/cli cli/compose/loader/loader.go toServicePortConfigs with
// go-connections nat.ParsePortSpec, and internal/volumespec/volumespec.go). Each returns the
// long form, or the sentence saying what is wrong.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

function range(text: string): [number, number] | undefined {
  const [first, last = first] = text.split('-').map(Number) as [number, number?];
  if (!(first >= 1 && last <= 65535 && first <= last)) return undefined;
  return [first, last];
}

/**
 * `80`, "8080:80", "53:53/udp", "8000-8001:80-81" (the schema has checked the characters).
 * Like docker, a short port is published through the ingress mesh; a range becomes one port
 * per number.
 */
export function parsePortSpec(spec: string | number): Parsed<ComposePort[]> {
  const [ports = '', protocol = 'tcp'] = String(spec).split('/');
  const parts = ports.split(':');
  const target = range(parts[parts.length - 1]!);
  const published = parts.length === 2 ? range(parts[0]!) : undefined;
  if (!target || (parts.length === 2 && !published)) {
    return fail('must use ports from 1 to 65535, and ranges that go up, such as 8000-8010');
  }
  const count = target[1] - target[0] + 1;
  if (published && published[1] - published[0] + 1 !== count) {
    return fail('must map a published range onto a target range of the same length');
  }
  const result: ComposePort[] = [];
  for (let i = 0; i < count; i++) {
    result.push({
      target: target[0] + i,
      ...(published ? { published: published[0] + i } : {}),
      protocol: protocol as ComposePort['protocol'],
      mode: 'ingress',
    });
  }
  return { ok: true, value: result };
}

const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];
type Propagation = NonNullable<ComposeVolumeMount['bind']>['propagation'];

/** Applies the `:ro,nocopy,...` options of a short volume; docker ignores unknown ones, we refuse them. */
function applyOptions(mount: ComposeVolumeMount, options: string): string | undefined {
  for (const option of options.split(',')) {
    if (option === 'ro' || option === 'rw') mount.read_only = option === 'ro';
    else if (option === 'nocopy') mount.volume = { nocopy: true };
    else if (PROPAGATIONS.includes(option)) mount.bind = { propagation: option as Propagation };
    else return `has an unknown option "${option}" (ro, rw, nocopy, or a bind propagation such as rshared)`;
  }
  return undefined;
}

/**
 * "/srv/data:/data:ro", "data:/data", "/data" (anonymous volume). A source starting with `/`,
 * `.` or `~` is a bind mount, anything else names a volume. Windows paths are not read: the
 * swarm nodes minicloud runs are Linux.
 */
export function parseVolumeSpec(spec: string): Parsed<ComposeVolumeMount> {
  const parts = spec.split(':');
  if (parts.some((p) => p === '')) return fail('must not have an empty part between colons');
  if (parts.length > 3) return fail('has too many colons (source:target:options)');
  const [first, second, options] = parts as [string, string?, string?];
  if (second === undefined) return { ok: true, value: { type: 'volume', target: first } };
  const isPath = /^[./~]/.test(first);
  const mount: ComposeVolumeMount = { type: isPath ? 'bind' : 'volume', source: first, target: second };
  const bad = options === undefined ? undefined : applyOptions(mount, options);
  if (bad !== undefined) return fail(bad);
  return { ok: true, value: mount };
}
