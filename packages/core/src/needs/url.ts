import { Sensitive } from '../sensitive.js';

/** Where an app reaches its share of a shared service, and as whom. */
export interface ServiceEndpoint {
  user: string;
  password: Sensitive<string>;
  host: string;
  port: number;
  /** Database name, or RabbitMQ vhost. */
  path: string;
}

/** `scheme://user:password@host:port/path`, every part escaped; stays wrapped. */
export function serviceUrl(scheme: string, ep: ServiceEndpoint): Sensitive<string> {
  const auth = `${encodeURIComponent(ep.user)}:${encodeURIComponent(ep.password.reveal())}`;
  return new Sensitive(`${scheme}://${auth}@${ep.host}:${ep.port}/${encodeURIComponent(ep.path)}`);
}
