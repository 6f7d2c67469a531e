import type { Manifest } from '../manifest/normalise.js';
import type { NeedName } from '../needs/registry.js';
import type { ServiceStatus } from '../stack/status.js';
import type { DomainCertificateStatus } from '../acme/status.js';
import type { PlacementTrouble } from './placement.js';

// The app lifecycle as the API and the CLI see it: one interface, so both drive the same
// logic (and API tests can stand in a fake for a focused route test).

/**
 * What an operator says when adding an app: an image (the rest comes from its manifest) or a
 * compose file (its x-minicloud says what a manifest says; then `name` is required).
 */
export interface AddAppInput {
  /** Exactly one of image and compose. */
  image?: string;
  /** The text of a compose file (issue 17). */
  compose?: string;
  /** Overrides the manifest's name; required with compose. */
  name?: string;
  /** Extra domains besides `<app>.<base domain>`. */
  domains?: string[];
  env?: Record<string, string>;
  replicas?: number;
  /**
   * Data an earlier app of this name left (its database, vhost or storage dir): take it over,
   * re-keyed. Without this or purgeOld, such data makes the add fail (MC_APP_DATA_EXISTS).
   */
  adopt?: boolean;
  /** Drop such data first, then create it fresh. */
  purgeOld?: boolean;
}

/** What to do with data of a need that exists before the app has the need (see AddAppInput). */
export interface KeptDataChoice {
  adopt?: boolean;
  purgeOld?: boolean;
}

export interface UpdateAppInput {
  /** A new tag or digest of the app's image (or another image carrying the same app). */
  image?: string;
  /** A compose app's new file (replaces the one it has); only for apps added from a file. */
  compose?: string;
  /** Replaces the operator env (null removes a key). */
  env?: Record<string, string | null>;
  replicas?: number;
  /** Replicas of runners by name, over what the manifest says (`app scale --runner`). */
  runnerReplicas?: Record<string, number>;
  /** Roll out each push of the image's tag to the private registry (push to deploy). */
  followTag?: boolean;
}

/** active: as deployed; removing: a removal started and has not finished (see removal). */
export type AppState = 'active' | 'removing';

/** A part of an app a removal has not removed yet, and why (the error of its last attempt). */
export interface RemovalPart {
  /** stack, routes, database, messagebus, storage, volume <app>_<volume>, certificate <domain>, secrets */
  part: string;
  reason: string;
}

/** A removal under way, or one that stopped part way: `minicloud app rm` again finishes it. */
export interface AppRemoval {
  /** The data goes too (sticky: a purge once started is what finishing means). */
  purge: boolean;
  startedAt: string;
  /** What is not gone yet; until the first attempt ends, every part it will remove. */
  left: RemovalPart[];
}

/** An add under way, as its record says until it has finished. */
export interface AppAdding {
  startedAt: string;
  /** Needs whose data an earlier app left and this add took over: a roll-back keeps them. */
  adopted: NeedName[];
}

/**
 * An update under way. Written before the update provisions or deploys anything, and gone with
 * the record the finished update writes: an API that starts and finds it died in the update,
 * and puts the app back as its record says (rollBackInterruptedUpdates).
 */
export interface AppUpdating {
  startedAt: string;
  /** Needs the update provisioned that the app did not have: a roll-back drops them. */
  addedNeeds: NeedName[];
}

/**
 * An app added from a compose file: the file is kept beside app.json (COMPOSE_SOURCE_FILE), and
 * what routing and removal need from it is kept here, so neither reads the file.
 */
export interface ComposeSource {
  kind: 'compose';
  /** The service the proxy routes to (x-minicloud.expose), absent when none is routed. */
  routedService?: string;
  /** The file's named volumes, as in the file (the engine's are `<app>_<volume>`). */
  volumes: string[];
}

/** An app's desired state, as stored in the configuration directory (no secrets). */
export interface AppRecord {
  name: string;
  /** Records written before removals were recorded have none: they read as active. */
  state: AppState;
  /** Present while state is removing. */
  removal?: AppRemoval;
  /**
   * Present while the add that made the record has not finished: it is written before anything
   * is provisioned and dropped once the app is deployed and routed. A record that still has it
   * when the API starts is an add the API died in: it is rolled back (rollBackInterruptedAdds).
   * Records written before it existed have none: they read as complete, as they were.
   */
  adding?: AppAdding;
  /** Present while an update has not finished (see AppUpdating). */
  updating?: AppUpdating;
  /** A compose app's: the routed service's image (or its first service's), for display. */
  image: string;
  /**
   * Where the stack comes from. Absent: a manifest app (from its image's manifest), as every
   * record written before compose apps was; those read and work unchanged.
   */
  source?: ComposeSource;
  domains: string[];
  /**
   * Names of the operator's env variables, sorted. Their values are secrets (API keys): they
   * live with the app's credentials in the secrets dir, never in the configuration directory.
   */
  envKeys: string[];
  replicas: number;
  /**
   * Runner replicas the operator set (`app scale --runner`), over the manifest's own. Absent in
   * records written before scaling existed: the manifest's numbers hold, as they did then.
   */
  runnerReplicas?: Record<string, number>;
  /**
   * Each push of the image's tag to the platform's registry rolls the app out (pinned to the
   * pushed digest). Absent in older records: not followed, as before.
   */
  followTag?: boolean;
  needs: NeedName[];
  /** A compose app's says in a manifest's terms what its x-minicloud says (expose, needs, storage). */
  manifest: Manifest;
  createdAt: string;
  updatedAt: string;
}

export type AppHealth = 'healthy' | 'starting' | 'degraded' | 'down';

export interface AppStatus extends AppRecord {
  /** https://<domain>/ for each routed domain. */
  urls: string[];
  health: AppHealth;
  services: ServiceStatus[];
  /** Nodes the app needs that are lost (down), and what that does to it; absent when none. */
  placement?: PlacementTrouble[];
  /** Each domain's certificate (show only; not in the list). */
  certificates?: DomainCertificateStatus[];
}

export interface UpdateResult {
  app: AppStatus;
  /** True when the new version failed its healthcheck and the swarm rolled it back. */
  rolledBack: boolean;
  reason?: string;
}

export interface DomainCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** Progress lines for long operations (jobs): "reading manifest", "creating database", ... */
export type Progress = (step: string) => void;

/** A shared service of the need kinds, as the API and the admin pages show it. */
export interface SharedServiceStatus {
  /** Its name in the management stack (`mariadb`). */
  service: string;
  /** The needs whose shares live in it (`database`). */
  needs: NeedName[];
  /**
   * running: set to run; idle: stopped because no app needs it and it holds no app's data (the
   * first app that needs it starts it); stopped: not running although not idle (scaled down by
   * hand): apps that need it fail until it runs again.
   */
  state: 'running' | 'idle' | 'stopped';
  /** The apps that need it, by name. */
  apps: string[];
}

export interface Apps {
  add(input: AddAppInput, progress?: Progress): Promise<AppStatus>;
  list(): Promise<AppStatus[]>;
  show(name: string): Promise<AppStatus>;
  /** A compose app's file as last deployed; MC_APP_NOT_FOUND for an app from an image. */
  composeFile(name: string): Promise<string>;
  update(name: string, input: UpdateAppInput, progress?: Progress): Promise<UpdateResult>;
  /**
   * Stops the app and its routes; purge also drops its database, vhost and storage. The record
   * says `removing` from the start; a step that fails leaves it so (MC_APP_REMOVE_INCOMPLETE
   * names what is left), and calling remove again finishes it.
   */
  remove(name: string, options?: { purge?: boolean }, progress?: Progress): Promise<void>;
  addDomain(name: string, domain: string, certificate?: DomainCertificate): Promise<AppStatus>;
  removeDomain(name: string, domain: string): Promise<AppStatus>;
  /** New tasks for every service (or one runner), rolling and start-first; waits until they run. */
  restart(name: string, options?: { runner?: string }, progress?: Progress): Promise<AppStatus>;
  attachNeed(name: string, need: NeedName, progress?: Progress, choice?: KeptDataChoice): Promise<AppStatus>;
  detachNeed(name: string, need: NeedName, options?: { purge?: boolean }, progress?: Progress): Promise<AppStatus>;
  /** The need kinds' shared services: which run, which are idle, and who needs them. */
  sharedServices?(): Promise<SharedServiceStatus[]>;
  /** Stops now the shared services no app needs and that hold no app's data; resolves those stopped. */
  settleServices?(progress?: Progress): Promise<string[]>;
}
