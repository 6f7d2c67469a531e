import { MinicloudError, type ErrorCode } from '../errors.js';
import { redact } from '../provision/redact.js';
import type { Sensitive } from '../sensitive.js';
import { ServiceUnreachable, waitForService } from './service-wait.js';

// How the admin adapters of the shared servers (MariaDB, PostgreSQL, Redis) hold a session: one
// short-lived connection per call (these are rare operations, and an idle admin connection would
// only hold a secret open), retried whole while the server cannot be reached (every session is
// idempotent), always closed; every failure is a coded error with the server's own words and no
// secret in it. Each adapter brings its driver: how to open and close, and what "unreachable" is.

export interface AdminServer<C> {
  /** What the wait for it is called: `MariaDB at mariadb:3306`. */
  service: string;
  /** What its messages call it: `database server`, `PostgreSQL server`, `Redis server`. */
  kind: string;
  /** host:port */
  address: string;
  /** The admin account, named when it cannot connect. */
  user: string;
  /** The admin's password and every secret the session sends: redacted from every message. */
  secrets: Sensitive<string>[];
  /** The code of an answer from the server (an error that is not "unreachable"). */
  code: ErrorCode;
  /** Whether a driver error means the server could not be reached (then the session is retried). */
  unreachable: (error: unknown) => boolean;
  /** How long to wait for an unreachable server; default waitForService's. */
  waitMs?: number | undefined;
  /** Opens and authenticates a connection (and cleans up after itself if that fails). */
  open: () => Promise<C>;
  close: (connection: C) => Promise<void> | void;
}

/** Runs one driver call, its failure turned into the adapter's coded error naming `what` it did. */
export type AdminCall = <R>(what: string, call: () => Promise<R>) => Promise<R>;

/** One admin session on `server`: opens, runs `work`, closes; waits out an unreachable server. */
export function withAdminConnection<C, T>(
  server: AdminServer<C>,
  work: (connection: C, call: AdminCall) => Promise<T>,
): Promise<T> {
  return waitForService(server.service, () => sessionOnce(server, work), {
    ...(server.waitMs !== undefined ? { timeoutMs: server.waitMs } : {}),
  });
}

async function sessionOnce<C, T>(
  server: AdminServer<C>,
  work: (connection: C, call: AdminCall) => Promise<T>,
): Promise<T> {
  let connection: C;
  try {
    connection = await server.open();
  } catch (error) {
    throw adminError(server, `cannot connect to the ${server.kind} ${server.user}@${server.address}`, error);
  }
  try {
    return await work(connection, async (what, call) => {
      try {
        return await call();
      } catch (error) {
        throw adminError(server, `${server.kind} ${server.address}: ${what}`, error);
      }
    });
  } finally {
    await server.close(connection);
  }
}

/** A coded error with the server's words (the driver's code and message), never the request sent. */
function adminError<C>(server: AdminServer<C>, context: string, error: unknown): MinicloudError | ServiceUnreachable {
  if (error instanceof MinicloudError || error instanceof ServiceUnreachable) return error;
  const e = error as { code?: string; message?: string };
  const detail = [e.code, e.message].filter(Boolean).join(': ') || String(error);
  const text = redact(`${context}: ${detail}`, server.secrets);
  if (server.unreachable(error)) return new ServiceUnreachable(text);
  return new MinicloudError(server.code, text);
}
