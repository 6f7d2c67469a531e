import type { AppRecord } from '../apps/types.js';

// `minicloud apply`: the configuration directory (or a copy of it, such as a git checkout) is
// the desired state; the plan says per app what applying it changes.

/**
 * An app as the directory wants it: the inputs an operator chose (what `app add`, `app update`,
 * `app scale` and the domain and need commands set), not what was compiled from them, so an
 * app of any source compares the same way. Env values are secrets: only their names are here.
 */
export type DesiredApp = Pick<
  AppRecord,
  'name' | 'image' | 'domains' | 'envKeys' | 'replicas' | 'runnerReplicas' | 'followTag' | 'needs'
>;

/** An app as the platform has it: its record's inputs and its env values (secrets). */
export interface CurrentApp extends DesiredApp {
  env: Record<string, string>;
}

/**
 * Env values given at apply time, per app and name: `<dir>/secrets/<app>/<NAME>` files or
 * MINICLOUD_SECRET_<APP>_<NAME> variables. A name not given keeps the platform's value.
 */
export type GivenSecrets = Record<string, Record<string, string>>;

/** One field that differs. Env values are never shown: `secret: true` says a value differs. */
export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
  secret?: true;
}

/**
 * create / update / unchanged / remove; `skip` is a removal (of an app, or of a need) that
 * waits for --prune and is only listed.
 */
export type ApplyAction = 'create' | 'update' | 'unchanged' | 'remove' | 'skip';

export interface ApplyEntry {
  app: string;
  action: ApplyAction;
  changes: FieldChange[];
  /** Why an entry is skipped: `needs --prune`. */
  note?: string;
}

export interface ApplyPlan {
  prune: boolean;
  apps: ApplyEntry[];
}

/** What POST /v1/apply takes: the desired apps when they come from another directory. */
export interface ApplyRequest {
  dryRun?: boolean;
  prune?: boolean;
  /** The apps of a directory the CLI read; absent: the platform's own configuration directory. */
  apps?: DesiredApp[];
  /** Env values the CLI read from that directory's secrets/ or its environment. */
  secrets?: GivenSecrets;
}

export interface ApplyResult {
  plan: ApplyPlan;
  /** False for a dry run. */
  applied: boolean;
}
