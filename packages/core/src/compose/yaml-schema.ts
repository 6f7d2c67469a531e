import yaml from 'js-yaml';

// The YAML flavour docker reads compose files with (go-yaml v3): the core schema (no dates,
// `yes` is a string), plus two things users' files rely on that js-yaml's core schema lacks:
// - `<<: *anchor` merge keys, the usual way to share settings between services;
// - a leading-zero integer is octal, so `mode: 0440` is 0o440 = 288 as docker reads it, not
//   decimal 440 (which would be the permissions 0o670).

const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;
// js-yaml exports its built-in types as `types`; @types/js-yaml does not declare it.
const builtin = (yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float' | 'merge', yaml.Type> }).types;
const { int, merge } = builtin;

const intWithLegacyOctal = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (LEGACY_OCTAL.test(data) || int.resolve(data)),
  construct: (data: string) => {
    if (!LEGACY_OCTAL.test(data)) return int.construct(data) as number;
    const magnitude = parseInt(data.replace(/^[-+]/, ''), 8);
    return data.startsWith('-') ? -magnitude : magnitude;
  },
  // Only loading uses this schema; dumping keeps js-yaml's own int representation.
  predicate: int.predicate ?? undefined,
  represent: int.represent ?? undefined,
  defaultStyle: int.defaultStyle ?? undefined,
});

/** Core schema types in core order, with the int type above in place of js-yaml's own. */
export const COMPOSE_YAML_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, builtin.bool, intWithLegacyOctal, builtin.float, merge],
});
