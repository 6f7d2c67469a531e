import type { Sensitive } from '../sensitive.js';
import type { Progress } from './types.js';
import type { ProxyRoute } from '../proxy/render.js';
import type { UpstreamAddresses } from '../proxy/upstream-addresses.js';
import type { UpstreamTarget } from '../proxy/upstream-locator.js';

// The effectful edges the app lifecycle drives. Each is a small interface so the lifecycle
// reads as a sequence of steps, and each adapter is tested on its own against a real server.

/** A grant narrowed to the user's own database; it matched `alsoMatched` before. */
export interface RepairedDatabaseGrant {
  user: string;
  database: string;
  alsoMatched: readonly string[];
}

/** One shared MariaDB: a database and a user per app, with rights on that database only. */
export interface DatabaseAdmin {
  /** Creates (or re-keys, if they exist) the app's database and user. Idempotent. */
  ensure(app: string, password: Sensitive<string>): Promise<{ database: string; user: string }>;
  /** Drops the app's database and user; absent ones are fine. */
  drop(app: string): Promise<void>;
  exists(app: string): Promise<boolean>;
  /** Whether any app's database or user is there (absent in fakes: "cannot tell"). */
  holdsShares?(): Promise<boolean>;
  /**
   * Narrows grants that reach beyond an app's own database (earlier versions granted a name
   * whose `_` is a wildcard) to that database; resolves what it changed, with the other
   * existing databases the old grant matched. Idempotent.
   */
  repairGrants(): Promise<readonly RepairedDatabaseGrant[]>;
  /** The app's database and user names (what DATABASE_URL names). */
  names(app: string): { database: string; user: string };
  /** host:port apps use (on the services network), e.g. mariadb:3306. */
  readonly appHost: string;
  readonly appPort: number;
}

/** One shared RabbitMQ: a vhost and a user per app, with permissions on that vhost only. */
export interface MessagebusAdmin {
  ensure(app: string, password: Sensitive<string>): Promise<{ vhost: string; user: string }>;
  drop(app: string): Promise<void>;
  exists(app: string): Promise<boolean>;
  /** Whether any app's vhost or user is there (absent in fakes: "cannot tell"). */
  holdsShares?(): Promise<boolean>;
  /** The app's vhost and user names (what AMQP_URL names). */
  names(app: string): { vhost: string; user: string };
  readonly appHost: string;
  readonly appPort: number;
}

/** An app's persistent directory on the node that holds it. */
export interface StorageAdmin {
  /** Creates the directory and marks its node (the placement constraint follows the label). */
  ensure(app: string): Promise<{ dir: string; nodeId: string }>;
  /** Deletes the directory and the node label. */
  drop(app: string): Promise<void>;
  /** Whether the app's directory exists already (kept by a remove without purge). */
  exists(app: string): Promise<boolean>;
}

export interface CertificateFiles {
  certificatePem: string;
  privateKeyPem: Sensitive<string>;
}

/** The reverse proxy: virtual hosts and their certificates. */
export interface ProxyController {
  /**
   * Makes the proxy serve exactly these routes: writes certificates, renders the config,
   * validates it (nginx -t) before it replaces the working one, then reloads gracefully.
   * An invalid configuration throws and leaves the running one untouched.
   */
  apply(routes: readonly ProxyRoute[], certificates: ReadonlyMap<string, CertificateFiles>): Promise<void>;
}

/**
 * The services' current addresses on the proxy network: tasks the engine calls running (or
 * the VIP), and starting tasks that already answer the platform's own probe.
 */
export interface UpstreamLocator {
  addresses(targets: readonly UpstreamTarget[]): Promise<UpstreamAddresses>;
  /** Tells the listener when a starting task answers: the addresses changed since the last look. */
  onReady?(listener: () => void): void;
}

/**
 * The platform's shared services (one per need kind that has one: mariadb, rabbitmq, ...),
 * started for the first app that needs one and stopped when none needs it and it holds no
 * app's data. Absent from a context: every service is taken to run all the time.
 */
export interface SharedServices {
  /** Whether the service was stopped as holding no app's data (so there is nothing in it to find or drop). */
  isIdle(service: string): Promise<boolean>;
  /** Brings the service up if it is not, and resolves once it is healthy. */
  start(service: string, progress?: Progress): Promise<void>;
  /** Marks the service idle and stops it; its data dir stays. */
  stop(service: string): Promise<void>;
  /** The replicas the service is set to (0 or 1). */
  replicas(service: string): Promise<number>;
}
