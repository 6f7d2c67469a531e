import { isIPv4 } from 'node:net';
import Handlebars from 'handlebars';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import { HOSTNAME_PATTERN } from '../compiler/settings.js';
import { APP_TEMPLATE, UPSTREAM_TEMPLATE } from './templates.js';

export interface ProxyRoute {
  /** App name: names the config file. */
  app: string;
  domains: string[];
  /** Swarm service name the proxy sends requests to, e.g. `shop_web`. */
  upstream: string;
  port: number;
  /**
   * The upstream service's addresses on the proxy network as last seen (running tasks in
   * dnsrr mode, the VIP otherwise, and starting tasks that answer the platform's probe): nginx
   * keeps connections to them open. Empty or absent: every request is resolved through the
   * swarm's DNS.
   */
  addresses?: readonly string[];
}

export interface ProxySettings {
  /** Directory, as nginx sees it, holding `<domain>/tls.crt` and `<domain>/tls.key`. */
  certDir: string;
}

/** File name relative to the proxy's conf.d directory -> content. */
export type ProxyFiles = Record<string, string>;

/** Prefix of the files this renderer owns in conf.d; others (admin, default) are left alone. */
export const APP_CONF_PREFIX = 'app-';

/** The per-app file holding its upstream block (conf.d/.gitignore leaves these out of git). */
export const UPSTREAM_CONF_SUFFIX = '.upstream.conf';

const renderApp = Handlebars.compile(APP_TEMPLATE, { noEscape: true, strict: true });
const renderUpstream = Handlebars.compile(UPSTREAM_TEMPLATE, { noEscape: true, strict: true });

const HOST = new RegExp(HOSTNAME_PATTERN);
const SERVICE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const APP = /^[a-z][a-z0-9-]{0,62}$/;
const PATH = /^(\/[A-Za-z0-9._-]+)+$/;

/** Nothing reaches nginx's config that could end a directive or open a block. */
function checkRoutes(routes: readonly ProxyRoute[], settings: ProxySettings): void {
  const details: ErrorDetail[] = [];
  const owner = new Map<string, string>();
  if (!PATH.test(settings.certDir)) details.push({ path: 'certDir', message: 'must be an absolute path' });
  routes.forEach((r, i) => {
    if (!APP.test(r.app)) details.push({ path: `routes[${i}].app`, message: 'must be an app name' });
    if (!SERVICE.test(r.upstream)) details.push({ path: `routes[${i}].upstream`, message: 'must be a service name' });
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) {
      details.push({ path: `routes[${i}].port`, message: 'must be an integer from 1 to 65535' });
    }
    (r.addresses ?? []).forEach((a, j) => {
      if (!isIPv4(a)) details.push({ path: `routes[${i}].addresses[${j}]`, message: 'must be an IPv4 address' });
    });
    r.domains.forEach((d, j) => {
      if (!HOST.test(d)) details.push({ path: `routes[${i}].domains[${j}]`, message: 'must be a lowercase host name' });
      const other = owner.get(d);
      if (other !== undefined && other !== r.app) {
        details.push({ path: `routes[${i}].domains[${j}]`, message: `${d} is already routed to app ${other}` });
      }
      owner.set(d, r.app);
    });
  });
  if (details.length > 0) throw new MinicloudError('MC_PROXY_INVALID', 'the proxy configuration is invalid', details);
}

/** Numeric order, so 10.0.0.9 comes before 10.0.0.10. */
function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * Every app's virtual hosts as conf.d files: pure and deterministic (domains sorted), so the
 * same routes always give the same bytes and a change shows up as a reviewable diff.
 */
export function renderProxyConfig(routes: readonly ProxyRoute[], settings: ProxySettings): ProxyFiles {
  checkRoutes(routes, settings);
  const files: ProxyFiles = {};
  for (const route of [...routes].sort((a, b) => a.app.localeCompare(b.app))) {
    if (route.domains.length === 0) continue;
    const domains = [...new Set(route.domains)].sort().map((name) => ({
      name,
      cert: `${settings.certDir}/${name}/tls.crt`,
      key: `${settings.certDir}/${name}/tls.key`,
    }));
    const values = {
      app: route.app,
      // No underscore, unlike every stack service name (`<stack>_<service>`): a variable
      // proxy_pass naming a service can never be taken for this block.
      upstreamName: `app-${route.app}`,
      upstream: route.upstream,
      port: route.port,
      addresses: [...new Set(route.addresses ?? [])].sort(compareIPv4),
      domains,
    };
    files[`${APP_CONF_PREFIX}${route.app}.conf`] = renderApp(values);
    files[`${APP_CONF_PREFIX}${route.app}${UPSTREAM_CONF_SUFFIX}`] = renderUpstream(values);
  }
  return files;
}
