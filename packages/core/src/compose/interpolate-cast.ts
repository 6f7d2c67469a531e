// After substitution every value is a string, so docker converts the fields whose schema wants
// a number or a boolean back (docker/cli cli/compose/loader/interpolate.go). Same table here,
// `*` matching any key and `[]` any list item.

export interface Cast {
  (text: string): number | boolean | undefined;
  expected: string;
}

function cast(expected: string, fn: (text: string) => number | boolean | undefined): Cast {
  return Object.assign(fn, { expected });
}

// Go's strconv.Atoi / ParseFloat, and YAML 1.1's words for booleans.
const toInt = cast('an integer', (t) => (/^[+-]?[0-9]+$/.test(t) ? Number(t) : undefined));
const toFloat = cast('a number', (t) =>
  /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t) ? Number(t) : undefined,
);
const toBoolean = cast('a boolean (true, false, yes, no, on, off)', (t) => {
  const word = t.toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(word)) return true;
  if (['n', 'no', 'false', 'off'].includes(word)) return false;
  return undefined;
});

const service = (...parts: string[]) => ['services', '*', ...parts];

const TABLE: [string[], Cast][] = [
  [service('configs', '[]', 'mode'), toInt],
  [service('secrets', '[]', 'mode'), toInt],
  [service('healthcheck', 'retries'), toInt],
  [service('healthcheck', 'disable'), toBoolean],
  [service('deploy', 'replicas'), toInt],
  [service('deploy', 'update_config', 'parallelism'), toInt],
  [service('deploy', 'update_config', 'max_failure_ratio'), toFloat],
  [service('deploy', 'rollback_config', 'parallelism'), toInt],
  [service('deploy', 'rollback_config', 'max_failure_ratio'), toFloat],
  [service('deploy', 'restart_policy', 'max_attempts'), toInt],
  [service('deploy', 'placement', 'max_replicas_per_node'), toInt],
  [service('ports', '[]', 'target'), toInt],
  [service('ports', '[]', 'published'), toInt],
  [service('read_only'), toBoolean],
  [service('tty'), toBoolean],
  [service('init'), toBoolean],
  [service('volumes', '[]', 'read_only'), toBoolean],
  [service('volumes', '[]', 'volume', 'nocopy'), toBoolean],
  [service('volumes', '[]', 'tmpfs', 'size'), toInt],
  [['networks', '*', 'external'], toBoolean],
  [['networks', '*', 'internal'], toBoolean],
  [['networks', '*', 'attachable'], toBoolean],
  [['volumes', '*', 'external'], toBoolean],
  [['secrets', '*', 'external'], toBoolean],
  [['configs', '*', 'external'], toBoolean],
];

function matches(pattern: string[], segments: string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => p === '*' || p === segments[i]);
}

/** The conversion for a value at `segments`, if its field is a number or a boolean. */
export function castFor(segments: string[]): Cast | undefined {
  return TABLE.find(([pattern]) => matches(pattern, segments))?.[1];
}
