// Variable substitution in one string, as docker stack deploy does it (docker/cli
// cli/compose/template/template.go), with the compose-spec reading of two corners where the
// docker CLI's single regular expression misbehaves:
// - unbraced `$VAR` is the name only (docker/cli also swallows `-text`, `:-text` after it);
// - the text after `:-`, `-`, `:?` and `?` is itself substituted, so `${A:-${B}}` and
//   `${A:-$$}` work (docker/cli leaves them half-expanded).

export type Lookup = (name: string) => string | undefined;

/** A string that is not a valid template, or a required variable without a value. */
export class TemplateError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function invalid(text: string): TemplateError {
  return new TemplateError(
    `invalid interpolation format ${JSON.stringify(text)}: you may need to escape any $ with another $`,
  );
}

/** Index of the `}` closing the `${` whose body starts at `from`, or -1. Nested `${` count. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && (text[i + 1] === '$' || text[i + 1] === '{')) {
      if (text[i + 1] === '{') depth++;
      i++;
    } else if (c === '}' && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** The body of `${...}`: a name, optionally followed by one operator and its argument. */
function expandBraced(body: string, whole: string, lookup: Lookup): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw invalid(whole);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  // Longest operator first: `:-` before `-`, `:?` before `?`.
  const op = [':-', ':?', '-', '?'].find((o) => rest.startsWith(o));
  if (op === undefined) throw invalid(whole);
  // The argument is expanded only when used, so an unused default cannot fail.
  const arg = () => substitute(rest.slice(op.length), lookup);
  const missing = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
  if (!missing) return value ?? '';
  if (op.endsWith('-')) return arg();
  const message = arg();
  throw new TemplateError(`required variable ${name} is missing${message === '' ? '' : `: ${message}`}`);
}

/**
 * Replaces `$$` with `$`, and `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}` with values from `lookup`; an unset variable is ''.
 * Any other `$` is an error, as in docker: it is almost always a forgotten `$$`.
 */
export function substitute(text: string, lookup: Lookup): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      if (end === -1) throw invalid(text);
      out += expandBraced(text.slice(dollar + 2, end), text, lookup);
      i = end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(text.slice(dollar + 1))![0];
      out += lookup(name) ?? '';
      i = dollar + 1 + name.length;
    } else {
      throw invalid(text);
    }
  }
  return out;
}
