import type { ErrorDetail } from '../errors.js';
import { LABELS } from '../labels.js';
import type { ComposeFile } from '../compose/types.js';
import { STACK_NAMESPACE_LABEL, type StackInputs } from './types.js';
import { cpusToNano, durationToNanos, sizeToBytes } from './units.js';

// What every part of the conversion shares: the stack, its inputs, the errors found so far,
// and docker's naming rules (docker/cli cli/compose/convert/compose.go Namespace).

export interface ConvertContext {
  stack: string;
  compose: ComposeFile;
  inputs: StackInputs;
  options: Required<ConvertOptions>;
  errors: ErrorDetail[];
}

/** Where minicloud's deploy may differ from `docker stack deploy`, when the caller asks. */
export interface ConvertOptions {
  /**
   * Whether each service also answers to its bare compose key on external networks, as docker
   * makes it (the default; raw stacks keep that). Apps are deployed with false: their external
   * networks are the platform's shared ones, where a bare `web` would answer for every app and
   * a runner could take a platform service's name. They keep their short names on their own
   * networks, and the swarm registers the full `<stack>_<key>` on every network regardless.
   */
  shortNamesOnExternalNetworks?: boolean;
}

export type ObjectSection = 'networks' | 'volumes' | 'secrets' | 'configs';

export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** `<stack>_<key>`: how docker scopes every object a stack creates. */
export const scoped = (ctx: ConvertContext, key: string): string => `${ctx.stack}_${key}`;

/**
 * The engine name of a top-level network, volume, secret or config: its `name:` if given,
 * else the key itself when external (docker's loader), else `<stack>_<key>`.
 */
export function objectName(ctx: ConvertContext, section: ObjectSection, key: string): string {
  const def = own<{ name?: string; external?: boolean }>(ctx.compose[section], key);
  return def?.name ?? (def?.external ? key : scoped(ctx, key));
}

/** Code-unit order, the order Go's sort.Strings gives for the names docker sorts. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}

/**
 * Labels of an object the stack creates: the written ones, docker's namespace label (which
 * `docker stack ls/ps/rm` rely on) and minicloud's managed label (the platform only updates or
 * removes what carries it). The two platform labels win over written ones.
 */
export function createdLabels(
  ctx: ConvertContext,
  labels: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return sortedRecord({ ...labels, [STACK_NAMESPACE_LABEL]: ctx.stack, [LABELS.managed]: 'true' });
}

function reader(read: (text: string) => number | undefined, what: string) {
  return (ctx: ConvertContext, text: string, path: string): number => {
    const value = read(text);
    if (value === undefined) ctx.errors.push({ path, message: `must be ${what}` });
    return value ?? 0;
  };
}

export const nanos = reader(durationToNanos, 'a duration such as 30s or 1m30s');
export const bytes = reader(sizeToBytes, 'a size such as 128M or 1G');
export const nanoCpus = reader(cpusToNano, 'a number of CPUs with at most 9 decimals');
