import { Sensitive } from '../sensitive.js';

export interface ServiceEndpoint {
  user: string;
  password: Sensitive<string>;
  host: string;
  port: number;
  /** Database name, or RabbitMQ vhost. */
  path: string;
}

function url(scheme: string, ep: ServiceEndpoint): Sensitive<string> {
  const auth = `${encodeURIComponent(ep.user)}:${encodeURIComponent(ep.password.reveal())}`;
  return new Sensitive(`${scheme}://${auth}@${ep.host}:${ep.port}/${encodeURIComponent(ep.path)}`);
}

export const databaseUrl = (ep: ServiceEndpoint): Sensitive<string> => url('mysql', ep);
export const amqpUrl = (ep: ServiceEndpoint): Sensitive<string> => url('amqp', ep);

export interface CredentialUrls {
  DATABASE_URL?: Sensitive<string>;
  AMQP_URL?: Sensitive<string>;
}

/**
 * The text of an app's credentials env file (`KEY=value` lines, as `docker stack deploy`
 * reads env_file). Stays wrapped: only the code that writes the 0600 file reveals it.
 */
export function renderCredentialsEnv(urls: CredentialUrls): Sensitive<string> {
  const lines: string[] = [];
  for (const key of ['DATABASE_URL', 'AMQP_URL'] as const) {
    const value = urls[key];
    if (value) lines.push(`${key}=${value.reveal()}\n`);
  }
  return new Sensitive(lines.join(''));
}
