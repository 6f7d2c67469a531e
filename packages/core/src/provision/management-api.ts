import { MinicloudError } from '../errors.js';
import type { Sensitive } from '../sensitive.js';
import { redact } from './redact.js';
import { isUnreachable, ServiceUnreachable } from '../util/service-wait.js';

// A minimal client of the RabbitMQ management HTTP API (Node's fetch): every path segment is
// URL-encoded here, so a name can never step into another resource, and every failure becomes
// MC_MESSAGEBUS with the HTTP status and the broker's own reason, never the password.

export interface ManagementApi {
  /** Base URL, e.g. http://rabbitmq:15672, without credentials. */
  url: string;
  user: string;
  password: Sensitive<string>;
  timeoutMs?: number;
}

/** Checks and normalises the base URL: http(s), no credentials, query or fragment in it. */
export function managementBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MinicloudError('MC_MESSAGEBUS', `the RabbitMQ management URL ${JSON.stringify(url)} is not a URL`);
  }
  if (
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.username ||
    parsed.password ||
    parsed.search ||
    parsed.hash
  ) {
    // Credentials go in the Authorization header only: a URL ends up in messages and logs.
    throw new MinicloudError(
      'MC_MESSAGEBUS',
      'the RabbitMQ management URL must be http(s)://host:port[/path] without credentials, query or fragment',
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** `/api/<kind>/<segment>/...` with each segment URL-encoded (`/` becomes %2F). */
export function apiPath(kind: string, ...segments: string[]): string {
  return ['/api', kind, ...segments.map((s) => encodeURIComponent(s))].join('/');
}

function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; reason?: unknown };
    return [body.error, body.reason].filter((v) => typeof v === 'string' && v !== '').join(': ');
  } catch {
    return text.slice(0, 200);
  }
}

/**
 * One request. Returns status and body for 2xx and for the statuses the caller accepts (404 on a
 * delete, say); throws MC_MESSAGEBUS for anything else and for a broker it cannot reach.
 */
export async function managementRequest(
  api: ManagementApi,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; accept?: number[]; secrets?: Sensitive<string>[] } = {},
): Promise<{ status: number; text: string }> {
  const base = managementBase(api.url);
  const secrets = [api.password, ...(options.secrets ?? [])];
  const auth = Buffer.from(`${api.user}:${api.password.reveal()}`).toString('base64');
  // A referenced timer, not AbortSignal.timeout(): that one is unref'd, and a broker that
  // accepts a connection and then says nothing (RabbitMQ while it starts) would otherwise leave
  // a process with nothing else to do exiting in the middle of the request.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), api.timeoutMs ?? 10_000);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Basic ${auth}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: abort.signal,
    });
    // The body is always read: an unread body keeps its connection busy.
    text = await response.text();
  } catch (error) {
    const e = error as { message?: string; cause?: { code?: string; message?: string } };
    const why = abort.signal.aborted ? 'timed out' : (e.cause?.code ?? e.cause?.message ?? e.message ?? 'failed');
    const message = redact(`cannot reach the RabbitMQ management API at ${base} (${method} ${path}): ${why}`, secrets);
    // Not there, or there but silent (a broker that accepts and says nothing while it starts):
    // the caller may wait for it (every request here is idempotent).
    if (abort.signal.aborted || isUnreachable(error)) throw new ServiceUnreachable(message);
    throw new MinicloudError('MC_MESSAGEBUS', message);
  } finally {
    clearTimeout(timer);
  }
  if (response.ok || options.accept?.includes(response.status)) return { status: response.status, text };
  const reason = reasonOf(text);
  throw new MinicloudError(
    'MC_MESSAGEBUS',
    redact(
      `RabbitMQ management API at ${base}: ${method} ${path}: ${response.status} ${response.statusText}${reason ? `: ${reason}` : ''}`,
      secrets,
    ),
  );
}
