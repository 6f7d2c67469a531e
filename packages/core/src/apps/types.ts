import type { Manifest } from '../manifest/normalise.js';
import type { NeedName } from '../manifest/schema.js';
import type { ServiceStatus } from '../stack/status.js';

// The app lifecycle as the API and the CLI see it: one interface, so both drive the same
// logic (and API tests can stand in a fake for a focused route test).

/** What an operator says when adding an app; the rest comes from the image's manifest. */
export interface AddAppInput {
  image: string;
  /** Overrides the manifest's name. */
  name?: string;
  /** Extra domains besides `<app>.<base domain>`. */
  domains?: string[];
  env?: Record<string, string>;
  replicas?: number;
}

export interface UpdateAppInput {
  /** A new tag or digest of the app's image (or another image carrying the same app). */
  image?: string;
  /** Replaces the operator env (null removes a key). */
  env?: Record<string, string | null>;
  replicas?: number;
}

/** An app's desired state, as stored in the configuration directory (no secrets). */
export interface AppRecord {
  name: string;
  image: string;
  domains: string[];
  /**
   * Names of the operator's env variables, sorted. Their values are secrets (API keys): they
   * live with the app's credentials in the secrets dir, never in the configuration directory.
   */
  envKeys: string[];
  replicas: number;
  needs: NeedName[];
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

export interface Apps {
  add(input: AddAppInput, progress?: Progress): Promise<AppStatus>;
  list(): Promise<AppStatus[]>;
  show(name: string): Promise<AppStatus>;
  update(name: string, input: UpdateAppInput, progress?: Progress): Promise<UpdateResult>;
  /**
   * Stops the app and its routes; purge also drops its database, vhost and storage. A purge
   * step that fails leaves the record (MC_APP_REMOVE_INCOMPLETE names what is left); calling
   * remove again finishes it.
   */
  remove(name: string, options?: { purge?: boolean }, progress?: Progress): Promise<void>;
  addDomain(name: string, domain: string, certificate?: DomainCertificate): Promise<AppStatus>;
  removeDomain(name: string, domain: string): Promise<AppStatus>;
  attachNeed(name: string, need: NeedName, progress?: Progress): Promise<AppStatus>;
  detachNeed(name: string, need: NeedName, options?: { purge?: boolean }, progress?: Progress): Promise<AppStatus>;
}
