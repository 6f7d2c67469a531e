import { Sensitive } from '../sensitive.js';
import type { ErrorDetail } from '../errors.js';
import { settingsError } from './settings.js';
import { checkEnvBytes, ENV_BOUNDS, ENV_MAP_OPTIONS } from './env-bounds.js';

export interface ServiceEndpoint {
  user: string;
  password: Sensitive<string>;
  host: string;
  port: number;
  /** Database name, or RabbitMQ vhost. */
  path: string;
}

/** `scheme://user:password@host:port/path`, the user, password and path percent-encoded. */
export function serviceUrl(scheme: string, ep: ServiceEndpoint): Sensitive<string> {
  const auth = `${encodeURIComponent(ep.user)}:${encodeURIComponent(ep.password.reveal())}`;
  return new Sensitive(`${scheme}://${auth}@${ep.host}:${ep.port}/${encodeURIComponent(ep.path)}`);
}

export const databaseUrl = (ep: ServiceEndpoint): Sensitive<string> => serviceUrl('mysql', ep);
export const amqpUrl = (ep: ServiceEndpoint): Sensitive<string> => serviceUrl('amqp', ep);

export interface CredentialUrls {
  DATABASE_URL?: Sensitive<string>;
  AMQP_URL?: Sensitive<string>;
}

/**
 * What an env file cannot hold: it has no quoting or escaping (docker/cli kvfile), so a value
 * ends at the line's end. One detail per operator variable whose value breaks a line.
 */
export function envFileProblems(env: Readonly<Record<string, string | Sensitive<string>>>): ErrorDetail[] {
  return Object.entries(env)
    .filter(([, value]) => /[\r\n]/.test(typeof value === 'string' ? value : value.reveal()))
    .map(([key]) => ({ path: `env.${key}`, message: 'must be one line: an env file cannot hold a line break' }));
}

/**
 * Throws MC_SETTINGS_INVALID naming each variable an env file cannot hold, and an env beyond
 * the bounds every path holds operators' env to (count, value and total sizes).
 */
export function checkEnvFile(env: Readonly<Record<string, string | Sensitive<string>>>): void {
  const plain = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : v.reveal()] as const),
  );
  const problems = [
    ...(Object.keys(plain).length > ENV_BOUNDS.maxVariables
      ? [{ path: 'env', message: ENV_MAP_OPTIONS['x-rule'] }]
      : []),
    ...envFileProblems(env),
    ...checkEnvBytes(plain),
  ];
  if (problems.length > 0) throw settingsError(problems);
}

/**
 * The text of an app's env file (`KEY=value` lines, as `docker stack deploy` reads env_file):
 * its credentials, then the operator's variables in name order. Stays wrapped: only the code
 * that writes the 0600 file (or hands it to a deploy) reveals it.
 */
export function renderCredentialsEnv(
  urls: CredentialUrls,
  env: Readonly<Record<string, Sensitive<string>>> = {},
): Sensitive<string> {
  checkEnvFile(env);
  const lines: string[] = [];
  for (const key of ['DATABASE_URL', 'AMQP_URL'] as const) {
    const value = urls[key];
    if (value) lines.push(`${key}=${value.reveal()}\n`);
  }
  for (const key of Object.keys(env).sort()) lines.push(`${key}=${env[key]!.reveal()}\n`);
  return new Sensitive(lines.join(''));
}
