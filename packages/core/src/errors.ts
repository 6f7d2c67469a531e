// One table of every error minicloud raises (the Fastify way): a stable code, an HTTP status
// for the API, and a message template. Core throws these; the API maps them to problem+json
// and the CLI prints `error (CODE): message`.

export interface ErrorDetail {
  /** Field path such as `expose[0].port`, or '' for the document itself. */
  path: string;
  /** The rule that failed, in words. */
  message: string;
}

export const ERROR_CODES = {
  MC_MANIFEST_NOT_FOUND: { status: 404, summary: 'no cloud manifest file was found' },
  MC_MANIFEST_PARSE: { status: 400, summary: 'the manifest is not valid YAML or JSON' },
  MC_MANIFEST_INVALID: { status: 400, summary: 'the manifest breaks the schema' },
  MC_SETTINGS_INVALID: { status: 400, summary: 'the deployment settings break the schema' },
  MC_COMPOSE_INVALID: { status: 400, summary: 'the compose file is invalid or uses an unsupported key' },
  MC_STACK_CONFLICT: { status: 409, summary: 'an object of that name exists and is not managed by minicloud' },
  MC_STACK_OBJECT_CHANGED: {
    status: 409,
    summary: "a secret's or config's file changed, and a swarm secret or config cannot change: give it a new name",
  },
  MC_STACK_MISSING_EXTERNAL: { status: 400, summary: 'the stack uses an external object that does not exist' },
  MC_STACK_NOT_FOUND: { status: 404, summary: 'no stack of that name' },
  MC_DEPLOY_FAILED: { status: 502, summary: 'the stack did not converge: a service failed or timed out' },
  MC_IMAGE_NOT_FOUND: { status: 404, summary: 'the image is not present and could not be pulled' },
  MC_PROXY_INVALID: { status: 400, summary: 'the proxy configuration would be invalid' },
  MC_APP_EXISTS: { status: 409, summary: 'an app of that name exists already' },
  MC_APP_NOT_FOUND: { status: 404, summary: 'no app of that name' },
  MC_APP_REMOVE_INCOMPLETE: {
    status: 502,
    summary: 'a purge step failed: the app record stays, naming what is left; remove it again to finish',
  },
  MC_RUNNER_NOT_FOUND: { status: 404, summary: 'the app runs no service (web or runner) of that name' },
  MC_TASK_NOT_RUNNING: { status: 409, summary: 'the app has no running task to run the command in' },
  MC_NODE_UNREACHABLE: { status: 502, summary: "the node's agent cannot be reached: its engine is out of reach" },
  MC_APP_REMOVING: {
    status: 409,
    summary: 'the app is being removed (or a removal stopped part way): `minicloud app rm NAME` finishes it',
  },
  MC_APP_DATA_EXISTS: {
    status: 409,
    summary: 'data of an earlier app of that name exists: add with adopt (take it over) or purgeOld (drop it first)',
  },
  MC_SERVICE_UNAVAILABLE: {
    status: 503,
    summary: 'a shared service (MariaDB, RabbitMQ) did not answer within the wait: its task may be restarting',
  },
  MC_DOMAIN_TAKEN: { status: 409, summary: 'the domain is routed to another app or to the platform' },
  MC_DOMAIN_NOT_FOUND: { status: 404, summary: 'the app has no such domain' },
  MC_CERT_INVALID: {
    status: 400,
    summary: 'the certificate is unreadable, expired or not yet valid, does not match its key or cover the domain',
  },
  MC_CONFIG_INVALID: {
    status: 400,
    summary: 'the configuration directory has an invalid app.json, or an env value (secret) is missing',
  },
  MC_NEED_INVALID: { status: 400, summary: 'the need cannot be attached or detached' },
  MC_ENGINE: { status: 502, summary: 'the Docker Engine refused a request' },
  MC_PLATFORM_INVALID: { status: 400, summary: 'the platform settings, templates or data dir are invalid' },
  MC_PLATFORM_DOWNGRADE: {
    status: 409,
    summary: 'the platform was installed by a newer minicloud: install that version (or newer), not an older one',
  },
  MC_PLATFORM_NOT_FOUND: { status: 404, summary: 'no minicloud platform is installed in that data dir' },
  MC_REGISTRY: { status: 502, summary: 'the private registry refused or failed a request' },
  MC_REGISTRY_AUTH: { status: 401, summary: 'the private registry refused the credentials' },
  MC_PUSH_FAILED: { status: 502, summary: 'the image could not be pushed to the private registry' },
  MC_APP_NAME_INVALID: { status: 400, summary: 'the app name cannot name a database, vhost or directory' },
  MC_DATABASE: { status: 502, summary: 'the MariaDB server refused or failed a request' },
  MC_POSTGRES: { status: 502, summary: 'the PostgreSQL server refused or failed a request' },
  MC_MESSAGEBUS: { status: 502, summary: 'the RabbitMQ management API refused or failed a request' },
  MC_REDIS: { status: 502, summary: 'the Redis server refused or failed a request' },
  MC_STORAGE: { status: 500, summary: 'the app storage directory could not be created or removed' },
  MC_PROXY: { status: 502, summary: 'the proxy could not be found, checked or reloaded' },
  MC_BACKUP: { status: 500, summary: 'a backup, restore or copy step failed; the message says which and why' },
  MC_BACKUP_NOT_FOUND: { status: 404, summary: 'no complete backup with that id (one without backup.json is not)' },
  MC_BACKUP_DAMAGED: { status: 422, summary: 'a backup part does not match its manifest checksum: refused' },
  MC_BACKUP_VERIFY: { status: 500, summary: 'the test restore did not match the manifest (tables or row counts)' },
  MC_BACKUP_KEY: { status: 400, summary: 'the backup key file is missing, or it does not decrypt the secrets' },
  MC_BACKUP_POLICY_INVALID: { status: 400, summary: 'the backup schedule or retention settings are invalid' },
  MC_DISK_LOW: {
    status: 507,
    summary: 'the filesystem is almost full (critical): nothing was started that would fill the rest; free space first',
  },
  // The API's own codes (packages/api): auth, request shape, routes, jobs and tokens.
  MC_UNAUTHORIZED: { status: 401, summary: 'a valid bearer token (or admin session) is required' },
  MC_FORBIDDEN: { status: 403, summary: 'the token is valid but not allowed to do this' },
  MC_RATE_LIMITED: { status: 429, summary: 'too many failed log-ins from this address: wait Retry-After seconds' },
  MC_BAD_REQUEST: { status: 400, summary: 'the request breaks the route schema (the field is named)' },
  MC_NOT_FOUND: { status: 404, summary: 'no such route' },
  MC_URI_TOO_LONG: { status: 414, summary: 'a path parameter is longer than 100 characters' },
  MC_JOB_NOT_FOUND: { status: 404, summary: 'no job with that id (finished jobs are kept for an hour)' },
  MC_JOB_INTERRUPTED: {
    status: 500,
    summary: 'the API stopped while the job was queued or running; its last step says how far it got',
  },
  MC_TOKEN_NOT_FOUND: { status: 404, summary: 'no deploy token with that id' },
  MC_NODE_NOT_FOUND: { status: 404, summary: 'no swarm node with that id' },
  MC_UNAVAILABLE: { status: 503, summary: 'that part of the platform is not configured on this server' },
  MC_INTERNAL: { status: 500, summary: 'an unexpected error; the API logs have the details' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MinicloudError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: readonly ErrorDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'MinicloudError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }
}

/** Formats a detail the way every minicloud surface prints it: `path: rule`. */
export function formatDetail(detail: ErrorDetail): string {
  return detail.path === '' ? detail.message : `${detail.path}: ${detail.message}`;
}

export function isMinicloudError(value: unknown): value is MinicloudError {
  return value instanceof MinicloudError;
}
