import { MinicloudError } from '../errors.js';

// A shared service (MariaDB, RabbitMQ) whose task restarts is gone for a while: its name stops
// resolving on the services network, then its port refuses connections until it is up. A call
// that meets that waits for it, a bounded time, rather than failing a remove or an add half
// way. Only "cannot reach it" is waited out: an answer (an SQL error, a refused password, an
// HTTP status) is the service speaking, and goes to the caller at once.
//
// util/until-done.ts does not fit: it retries every error, without end, in the background.

/** Node's and the drivers' codes for "the service is not there" (DNS, TCP, a dropped socket). */
const UNREACHABLE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // mysql2: the server went away mid-session; MariaDB shutting down for its restart.
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  // undici (Node's fetch) under its own names.
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The error code of a driver error, or of the error it wraps (fetch puts it in `cause`). */
function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: unknown } | undefined;
  if (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) return e.code;
  const cause = e?.cause as { code?: unknown } | undefined;
  if (typeof cause?.code === 'string' && UNREACHABLE_CODES.has(cause.code)) return cause.code;
  return typeof e?.code === 'string' ? e.code : undefined;
}

/** Whether the error says the service could not be reached (as opposed to an answer from it). */
export function isUnreachable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/**
 * Thrown by an adapter for a call that did not reach its service: the only error
 * waitForService retries. `reason` is what the caller may show (no secrets in it).
 */
export class ServiceUnreachable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ServiceUnreachable';
  }
}

export interface ServiceWaitOptions {
  /** How long to keep trying after the first failure; default 60 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 1 s. */
  intervalMs?: number;
  /** Told once when the wait starts, for progress lines. */
  onWait?: (reason: string) => void;
}

export const DEFAULT_SERVICE_WAIT_MS = 60_000;

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `call` (which must be safe to repeat: it is retried whole) until it does not throw
 * ServiceUnreachable, for at most `timeoutMs`; then MC_SERVICE_UNAVAILABLE names the service
 * and the last reason. Any other error is thrown as it is, at once.
 */
export async function waitForService<T>(
  service: string,
  call: () => Promise<T>,
  options: ServiceWaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SERVICE_WAIT_MS;
  const intervalMs = options.intervalMs ?? 1_000;
  let deadline: number | undefined;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ServiceUnreachable)) throw error;
      const now = Date.now();
      if (deadline === undefined) {
        deadline = now + timeoutMs;
        options.onWait?.(error.reason);
      }
      const remaining = deadline - now;
      if (remaining <= 0) {
        throw new MinicloudError(
          'MC_SERVICE_UNAVAILABLE',
          `${service} could not be reached${timeoutMs > 0 ? ` for ${duration(timeoutMs)}` : ''} (${error.reason}); ` +
            'its task may be restarting: try again once it runs',
          [{ path: service, message: `is unreachable (${error.reason})` }],
        );
      }
      await sleep(Math.min(intervalMs, remaining));
    }
  }
}
