import type Docker from 'dockerode';
import type { RegistryAuth } from '../engine/registry-auth.js';
import type { AppStore } from './store.js';
import type { CertificateStore } from './certificates.js';
import type { PostgresAdmin } from '../needs/postgres/admin.js';
import type { RedisAdmin } from '../needs/redis/admin.js';
import type {
  DatabaseAdmin,
  MessagebusAdmin,
  ProxyController,
  SharedServices,
  StorageAdmin,
  UpstreamLocator,
} from './ports.js';

/** Everything the app lifecycle needs from the platform it runs on. */
export interface AppContext {
  docker: Docker;
  dataDir: string;
  baseDomain: string;
  endpointMode: 'vip' | 'dnsrr';
  store: AppStore;
  certificates: CertificateStore;
  database: DatabaseAdmin;
  messagebus: MessagebusAdmin;
  storage: StorageAdmin;
  /**
   * The adapters of the kinds added later (postgres, redis): optional, so that a context built
   * for a platform (or a test) without that service still serves every other kind; a kind whose
   * adapter is absent refuses with MC_UNAVAILABLE naming its service.
   */
  postgres?: PostgresAdmin;
  redis?: RedisAdmin;
  proxy: ProxyController;
  /**
   * Starts and stops the shared services on demand. Absent (a test's context, servers run
   * by hand): every service is taken to run all the time, as before.
   */
  services?: SharedServices;
  /**
   * How long a shared service no app needs any more keeps running before it is stopped: an app
   * removed and added again (an operator fixing something, a redeploy from git) does not wait
   * for MariaDB to start again. Absent or 0: stopped at once (a test's context).
   */
  servicesLingerMs?: number;
  /** How long an app listing that ended is reused for other readers (default 1000; 0: never). */
  listingMaxAgeMs?: number;
  /**
   * Where the proxy reaches the apps' services, for its upstream blocks. Absent: the proxy
   * resolves every request through the swarm's DNS.
   */
  upstreams?: UpstreamLocator;
  /** The private registry as image references name it (host:port): the tags an app may follow. */
  registryAddr?: string;
  /** Credentials for the private registry, passed to the swarm with every deploy. */
  registryAuth: RegistryAuth[];
  /** Host names the platform itself answers on (admin.<base>): never an app's. */
  reservedDomains: string[];
  /**
   * Host names of the platform the proxy serves with a certificate of the store, like an app
   * domain's (admin.<base>: admin.conf names domains/admin.<base>/). Absent: none.
   */
  platformHosts?: string[];
  /** Whether certificates come from an ACME server (the platform's acmeEmail is set). */
  acmeOn?: boolean;
  /** How long a deploy may take to converge. */
  deployTimeoutMs?: number;
}
