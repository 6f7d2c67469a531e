import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';
import { apiPath } from '../provision/management-api.js';
import { ServiceContainer } from './service-container.js';

// An app's RabbitMQ vhost definitions (queues, exchanges, bindings, policies) through the
// management HTTP API: GET /api/definitions/{vhost} to back up, POST to restore.
//
// The management port is published nowhere and the CLI runs on the host, outside the
// services network; so, like the MariaDB dump, the request is made from inside the RabbitMQ
// container, by bash over /dev/tcp/127.0.0.1 (the image has no HTTP client). The password
// is read there from the service's swarm secret (or comes as an exec-only env variable), and
// the Authorization header is built there too: it is on no command line and in no log.
// So this is not provisioning's fetch client (provision/management-api.ts, for the API on the
// services network); the paths are built the same way (apiPath) for both.

export interface RabbitMqTarget {
  /** Container id or name; default: the running task of `service` on this node. */
  container?: string;
  /** Default minicloud_rabbitmq. */
  service?: string;
  /** Management user; default: the container's RABBITMQ_DEFAULT_USER. */
  user?: string;
  /** Default: read inside the container from passwordFile. */
  password?: Sensitive<string>;
  /** Default /run/secrets/rabbitmq-password (the management stack's swarm secret). */
  passwordFile?: string;
  /** Management port inside the container, default 15672. */
  port?: number;
}

export const RABBITMQ_SERVICE = 'minicloud_rabbitmq';
export const RABBITMQ_PASSWORD_FILE = '/run/secrets/rabbitmq-password';

const REQUEST_SCRIPT = [
  'user=${MC_USER:-${RABBITMQ_DEFAULT_USER:-guest}}',
  'if [ -n "${MC_PASS+x}" ]; then pass=$MC_PASS; else pass=$(cat -- "$MC_PASS_FILE") || exit 97; fi',
  'auth=$(printf "%s:%s" "$user" "$pass" | base64 -w0)',
  'exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT" || exit 98',
  'printf "%s %s HTTP/1.0\\r\\nHost: localhost\\r\\nAuthorization: Basic %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\n\\r\\n" "$1" "$2" "$auth" "$3" >&3',
  'if [ "$3" != 0 ]; then head -c "$3" >&3; fi',
  'cat <&3',
].join('\n');

/** What GET /api/definitions/{vhost} returns (the parts we count; the rest is kept as is). */
export interface VhostDefinitions {
  queues?: unknown[];
  exchanges?: unknown[];
  bindings?: unknown[];
  policies?: unknown[];
  [key: string]: unknown;
}

export class RabbitMqClient {
  readonly #where: ServiceContainer;

  constructor(
    readonly docker: Docker,
    readonly target: RabbitMqTarget = {},
  ) {
    this.#where = new ServiceContainer(docker, target, RABBITMQ_SERVICE);
  }

  /** One management API request; returns the status and the body. */
  async request(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const env = [
      `MC_PORT=${this.target.port ?? 15672}`,
      `MC_PASS_FILE=${this.target.passwordFile ?? RABBITMQ_PASSWORD_FILE}`,
      ...(this.target.user ? [`MC_USER=${this.target.user}`] : []),
      ...(this.target.password ? [`MC_PASS=${this.target.password.reveal()}`] : []),
    ];
    const result = await this.#where.exec({
      cmd: ['bash', '-c', REQUEST_SCRIPT, 'mc-request', method, path, String(payload?.length ?? 0)],
      env,
      ...(payload ? { stdin: Readable.from([payload]) } : {}),
    });
    if (result.exitCode === 97)
      throw new MinicloudError('MC_MESSAGEBUS', `the RabbitMQ container has no password file`);
    if (result.exitCode !== 0) {
      throw new MinicloudError(
        'MC_MESSAGEBUS',
        `RabbitMQ management API unreachable (exit ${result.exitCode}): ${result.stderr.trim()}`,
      );
    }
    const split = result.stdout.indexOf('\r\n\r\n');
    const status = Number(/^HTTP\/1\.[01] ([0-9]{3})/.exec(result.stdout)?.[1]);
    if (split < 0 || !Number.isInteger(status)) {
      throw new MinicloudError('MC_MESSAGEBUS', `RabbitMQ management API: no HTTP answer to ${method} ${path}`);
    }
    return { status, body: result.stdout.slice(split + 4) };
  }

  async exportVhost(vhost: string): Promise<VhostDefinitions> {
    const path = apiPath('definitions', vhost);
    const res = await this.request('GET', path);
    if (res.status !== 200)
      throw new MinicloudError('MC_MESSAGEBUS', `GET ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return JSON.parse(res.body) as VhostDefinitions;
  }

  /** Creates the vhost if missing and loads the definitions into it (they add to what is there). */
  async importVhost(vhost: string, definitions: VhostDefinitions): Promise<void> {
    const vhostPath = apiPath('vhosts', vhost);
    const put = await this.request('PUT', vhostPath, {});
    if (put.status >= 300)
      throw new MinicloudError('MC_MESSAGEBUS', `PUT ${vhostPath}: HTTP ${put.status} ${put.body.slice(0, 200)}`);
    const path = apiPath('definitions', vhost);
    const res = await this.request('POST', path, definitions);
    if (res.status >= 300)
      throw new MinicloudError('MC_MESSAGEBUS', `POST ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  }

  async version(): Promise<string> {
    const res = await this.request('GET', '/api/overview');
    if (res.status !== 200) return 'unknown';
    return String((JSON.parse(res.body) as { rabbitmq_version?: string }).rabbitmq_version ?? 'unknown');
  }
}
