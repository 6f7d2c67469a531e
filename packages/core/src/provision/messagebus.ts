import type { MessagebusAdmin } from '../apps/ports.js';
import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';
import { apiPath, managementBase, managementRequest, type ManagementApi } from './management-api.js';
import { provisionName } from './names.js';
import { waitForService } from '../util/service-wait.js';

// One shared RabbitMQ: per app a vhost and a user of the same name, with full permissions on
// that vhost and none elsewhere. Driven through the management HTTP API, which the platform's
// broker has on the services network only.

export interface RabbitMqAdminOptions {
  /** Management API base URL, e.g. http://rabbitmq:15672. */
  url: string;
  /** An administrator account (the platform's `minicloud` user). */
  user: string;
  password: Sensitive<string>;
  /** What apps are told (AMQP_URL), on the services network. */
  appHost?: string;
  appPort?: number;
  timeoutMs?: number;
  /** How long a call waits for a broker that cannot be reached (its task restarting); default 60 s. */
  unavailableWaitMs?: number;
}

/** `guest` is the broker's built-in account: an app named guest must not re-key it. */
const RESERVED = ['guest'];

export class RabbitMqAdmin implements MessagebusAdmin {
  readonly appHost: string;
  readonly appPort: number;
  readonly #api: ManagementApi;
  readonly #waitMs: number | undefined;

  constructor(options: RabbitMqAdminOptions) {
    managementBase(options.url);
    this.#api = { url: options.url, user: options.user, password: options.password, timeoutMs: options.timeoutMs };
    this.appHost = options.appHost ?? 'rabbitmq';
    this.appPort = options.appPort ?? 5672;
    this.#waitMs = options.unavailableWaitMs;
  }

  /** A call that waits for the broker while it cannot be reached (each one is idempotent). */
  #call<T>(call: () => Promise<T>): Promise<T> {
    return waitForService(`RabbitMQ at ${this.#api.url}`, call, {
      ...(this.#waitMs !== undefined ? { timeoutMs: this.#waitMs } : {}),
    });
  }

  /** The app's vhost and user name (`my-shop` -> `my_shop`, as for its database). */
  names(app: string): { vhost: string; user: string } {
    const name = provisionName(app, [...RESERVED, this.#api.user]);
    return { vhost: name, user: name };
  }

  async ensure(app: string, password: Sensitive<string>): Promise<{ vhost: string; user: string }> {
    const { vhost, user } = this.names(app);
    if (password.reveal() === '')
      throw new MinicloudError('MC_MESSAGEBUS', `refusing an empty password for app ${app}`);
    // Each PUT is idempotent; the user PUT also re-keys an existing user.
    await this.#call(async () => {
      await managementRequest(this.#api, 'PUT', apiPath('vhosts', vhost), { body: {} });
      await managementRequest(this.#api, 'PUT', apiPath('users', user), {
        body: { password: password.reveal(), tags: '' },
        secrets: [password],
      });
      await managementRequest(this.#api, 'PUT', apiPath('permissions', vhost, user), {
        body: { configure: '.*', write: '.*', read: '.*' },
      });
    });
    return { vhost, user };
  }

  /** Deletes the user (the broker closes its connections) and then the vhost with its queues. */
  async drop(app: string): Promise<void> {
    const { vhost, user } = this.names(app);
    await this.#call(async () => {
      await managementRequest(this.#api, 'DELETE', apiPath('users', user), { accept: [404] });
      await managementRequest(this.#api, 'DELETE', apiPath('vhosts', vhost), { accept: [404] });
    });
  }

  /** Whether the app's vhost or its user is there (kept by an earlier remove, or left by a failed purge). */
  async exists(app: string): Promise<boolean> {
    const { vhost, user } = this.names(app);
    return this.#call(async () => {
      for (const path of [apiPath('vhosts', vhost), apiPath('users', user)]) {
        const { status } = await managementRequest(this.#api, 'GET', path, { accept: [404] });
        if (status !== 404) return true;
      }
      return false;
    });
  }

  /**
   * Whether any app's vhost or user is on the broker (kept data included): the platform stops
   * a shared service no app needs only when this is false. Apps' vhosts are all but `/`, and
   * their users all but the admin.
   */
  async holdsShares(): Promise<boolean> {
    return this.#call(async () => {
      const names = async (what: 'vhosts' | 'users') =>
        (JSON.parse((await managementRequest(this.#api, 'GET', apiPath(what))).text) as { name?: string }[]).map(
          (entry) => entry.name,
        );
      if ((await names('vhosts')).some((name) => name !== '/')) return true;
      return (await names('users')).some((name) => name !== this.#api.user);
    });
  }
}
