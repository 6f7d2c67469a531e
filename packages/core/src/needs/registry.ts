import { database } from './database/index.js';
import { messagebus } from './messagebus/index.js';
import { postgres } from './postgres/index.js';
import { redis } from './redis/index.js';
import { storage } from './storage/index.js';
import type { NeedKind } from './types.js';

// Every kind of need, in the order manifests are normalised to (and so stack labels and env
// files list them). Everything that deals with needs iterates this list; adding a kind is its
// folder and one line here.
export const NEED_KINDS = [database, messagebus, storage, postgres, redis] as const;

/** A manifest's need: one of the kinds' names. */
export type NeedName = (typeof NEED_KINDS)[number]['name'];
/** A backup part an app's need gives: one of the kinds' part names. */
export type NeedPartName = (typeof NEED_KINDS)[number]['backup']['part'];

export const NEED_NAMES: readonly NeedName[] = NEED_KINDS.map((k) => k.name);

/** The kind of a need name the manifest schema (or the API's) let through. */
export function needKind(name: NeedName): NeedKind<NeedName, NeedPartName> {
  const kind = NEED_KINDS.find((k) => k.name === name);
  if (!kind) throw new Error(`no need kind ${name}`);
  return kind;
}

/** The needs whose shares live in this platform service (`mariadb` -> database). */
export function needsInService(service: string): NeedName[] {
  return NEED_KINDS.filter((k) => k.service?.name === service).map((k) => k.name);
}

export function isNeedName(name: string): name is NeedName {
  return (NEED_NAMES as readonly string[]).includes(name);
}

/** The needs that give this env variable (DATABASE_URL -> database, postgres); [] if none does. */
export function needsOfEnv(variable: string): NeedName[] {
  return NEED_KINDS.filter((k) => k.env.includes(variable)).map((k) => k.name);
}

/** Every env variable the platform sets from needs, in the registry's order, each once. */
export const NEED_ENV_NAMES: readonly string[] = [...new Set(NEED_KINDS.flatMap((k) => k.env))];

/**
 * Needs that cannot go together: two kinds that give the same env variable (database and
 * postgres both give DATABASE_URL). One entry per clash, in the registry's order.
 */
export function needClashes(needs: readonly string[]): { needs: [NeedName, NeedName]; env: string[] }[] {
  const kinds = NEED_KINDS.filter((k) => needs.includes(k.name));
  const out: { needs: [NeedName, NeedName]; env: string[] }[] = [];
  kinds.forEach((a, i) => {
    for (const b of kinds.slice(i + 1)) {
      const env = a.env.filter((name) => b.env.includes(name));
      if (env.length > 0) out.push({ needs: [a.name, b.name], env });
    }
  });
  return out;
}

/** The kinds in the order their parts are written to (and listed in) a backup. */
export const BACKUP_KINDS: readonly NeedKind<NeedName, NeedPartName>[] = [...NEED_KINDS].sort(
  (a, b) => a.backup.rank - b.backup.rank,
);

/** `database, messagebus or storage`: the names as a sentence lists them. */
export function needNamesText(conjunction = 'or'): string {
  const names = [...NEED_NAMES];
  const last = names.pop();
  return names.length > 0 ? `${names.join(', ')} ${conjunction} ${last}` : (last ?? '');
}
