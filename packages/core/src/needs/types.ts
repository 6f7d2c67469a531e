import type { AppContext } from '../apps/context.js';
import type { Progress } from '../apps/types.js';
import type { BackupContext } from '../backup/context.js';
import type { BackupPart, TableRows } from '../backup/manifest.js';
import type { Sensitive } from '../sensitive.js';

// A need kind: one thing an app can ask for in its manifest's `needs` (a database, a message
// bus, storage, ...). Each kind is one folder under needs/ whose index.ts exports one NeedKind,
// and registry.ts lists them; manifest validation, the compiler, the app manager, backups, the
// API and the admin pages iterate that list and never name a kind. Adding a kind: a folder
// with its NeedKind, and one line in registry.ts (see the README, "Adding a need kind").
//
// Everything here runs through the edges the platform already holds: the app lifecycle's
// AppContext (whose adapter for the kind provisions its shares) and the BackupContext (whose
// client dumps and loads them). A kind's module imports only types from apps/ and backup/'s
// contexts, so that the manifest schema can list the kinds without importing the lifecycle.

/** The share of one kind an app owns on the platform: its database, vhost, directory, ... */
export interface NeedShares {
  /**
   * Creates the app's share, or re-keys one that exists (with `secret`, for a kind with
   * credentials). Idempotent.
   */
  ensure(ctx: AppContext, app: string, secret?: Sensitive<string>): Promise<void>;
  /** Drops the app's share; an absent one is fine. */
  drop(ctx: AppContext, app: string): Promise<void>;
  /** Whether something of the app's share exists (kept by a remove without purge, left by a failed purge). */
  exists(ctx: AppContext, app: string): Promise<boolean>;
  /** That share named for people, for "data of an earlier app exists": "database my_shop (or its user)". */
  describe(ctx: AppContext, app: string): string;
}

/**
 * The shared service of the platform a kind's shares live in (MariaDB for `database`). It runs
 * only while some app needs it or it holds some app's data (platform/service-demand.ts): the
 * platform starts it for the first app that needs it, and stops it (its data stays) once
 * neither is true.
 */
export interface NeedService {
  /** Its service name in the management stack, which apps reach on the services network (`mariadb`). */
  name: string;
  /** The image it runs in each install mode: Docker Hub's, or the one built from Debian's package. */
  image: { hub: string; debian: string };
  /** Its memory limit as compose writes it (`64M`); absent: none (as today's services have). */
  memory?: string;
  /**
   * Whether the running service holds any app's share, kept data of removed apps included:
   * a service is stopped only when this is false, so an idle service never holds data the
   * platform would have to start it to find. An adapter that cannot tell resolves true.
   */
  holdsShares(ctx: AppContext): Promise<boolean>;
}

/** What checking or restoring a part found: a database's tables, a directory's files. */
export interface PartOutcome {
  tables?: TableRows[];
  files?: number;
}

/** Who a part operation is for, to name it in progress lines and errors. */
export interface PartScope {
  ctx: BackupContext;
  /** The app backed up (or whose backup this is). */
  app: string;
  progress: Progress;
}

/** How an app's share is backed up, checked and restored: one part of an app's backup. */
export interface NeedBackup<P extends string = string> {
  /** The part's name in backup.json (`parts[].name`), in `--parts` and in the API. */
  readonly part: P;
  /** Its file in the backup folder (`database.sql.gz`). Never change it: old backups name it. */
  readonly file: string;
  /**
   * Where its part comes in a backup: parts are written, and listed in backup.json, in rank
   * order (database 10, storage 20, messagebus 30, as backups always had them).
   */
  readonly rank: number;
  /**
   * Writes the app's share to `path` (through backup/write-part.ts), records the tools it used
   * in `tools`, and resolves the part for backup.json.
   */
  create(scope: PartScope, path: string, tools: Record<string, string>): Promise<BackupPart>;
  /** Test-restores the part into scratch places; throws MC_BACKUP_VERIFY when it does not match. */
  verify(scope: PartScope & { id: string }, part: BackupPart, path: string): Promise<PartOutcome>;
  /** Replaces app `into`'s share with the part's content. */
  restore(scope: PartScope & { id: string; into: string }, part: BackupPart, path: string): Promise<PartOutcome>;
}

/**
 * One kind of need. N is its manifest name, P its backup part's name (the same word for every
 * kind so far; both literal types, so that NeedName and the part names are unions).
 */
export interface NeedKind<N extends string = string, P extends string = string> {
  /** The name in a manifest's `needs`, the API and the CLI: a lowercase word. */
  readonly name: N;
  /** What it is, for people: "a MariaDB database". */
  readonly label: string;
  /**
   * The env variables it gives the app, in the order the env file lists them. The platform
   * sets them, so a manifest's `env` and the operator's env may not.
   */
  readonly env: readonly string[];
  /** The shared platform service its shares live in; undefined for one the platform serves itself (storage). */
  readonly service?: NeedService;
  /**
   * Whether an app's share has a password minicloud generates, kept in the app's secrets
   * under the kind's name (so `secrets.json` reads `{"database": "..."}`).
   */
  readonly credentials: boolean;
  readonly shares: NeedShares;
  /** The env the app gets, built from its stored password (`secret`: absent for a kind without credentials). */
  appEnv(ctx: AppContext, app: string, secret: Sensitive<string> | undefined): Record<string, Sensitive<string>>;
  readonly backup: NeedBackup<P>;
}
