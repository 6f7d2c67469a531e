import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Sensitive } from '@minicloud/core';
import type { LoginLimit } from './login-limit.js';
import { problem } from './problem.js';
import type { TokenStore } from './tokens.js';
import { bearerToken, secretMatcher } from './same-secret.js';

/** Routes anyone may call: the load balancer's health probe and the API documentation. */
const PUBLIC = [/^\/health$/, /^\/docs(\/|$)/];

/**
 * Who may call a route (its `config.auth`):
 * - `admin` (the default, also for unknown routes): the admin token;
 * - `app`: the admin token, or a deploy token of the app the route works on (`config.appOf`,
 *   by default the `name` parameter): what a CI pipeline needs to update its own app;
 * - `public`: anyone (the route checks something else itself, such as a webhook secret);
 * - `session`: the admin pages, which check their cookie session themselves.
 */
export type AuthMode = 'admin' | 'app' | 'public' | 'session';

export type Principal = { kind: 'admin' } | { kind: 'deploy'; app: string; tokenId: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** For `app` routes whose app is not the `name` parameter (a job's app, say). */
    appOf?: (request: FastifyRequest) => string | undefined;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Bearer-token check in constant time (./same-secret.ts). The token itself is never logged.
 * With a token store, deploy tokens are accepted on `app` routes for their own app only.
 * With a limit, wrong tokens count as failed log-ins of the client's address, and once it has
 * too many, any token it sends is answered 429 before it is looked at.
 */
export function bearerAuth(token: Sensitive<string>, scoped?: { tokens?: TokenStore; limit?: LoginLimit }) {
  const isAdmin = secretMatcher(token.reveal());
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC.some((p) => p.test(path))) return;
    const config = request.routeOptions.config;
    const mode: AuthMode = config?.auth ?? 'admin';
    if (mode === 'public' || mode === 'session') return;
    const given = bearerToken(request.headers.authorization);
    const wait = given !== '' ? (scoped?.limit?.retryAfter(request.ip) ?? 0) : 0;
    if (wait > 0) {
      request.log.warn({ path, ip: request.ip, reason: 'too many failed log-ins' }, 'unauthorized request');
      reply.header('retry-after', String(wait));
      return problem(reply, 429, 'MC_RATE_LIMITED', `too many wrong tokens from this address; try again in ${wait} s`);
    }
    if (isAdmin(given)) {
      request.principal = { kind: 'admin' };
      return;
    }
    const deploy = given !== '' ? scoped?.tokens?.matchDeployToken(given) : undefined;
    if (deploy) {
      const app = mode === 'app' ? (config.appOf ?? appParam)(request) : undefined;
      if (app !== undefined && app === deploy.app) {
        request.principal = { kind: 'deploy', app: deploy.app, tokenId: deploy.id };
        return;
      }
      request.log.warn({ path, tokenId: deploy.id, reason: 'deploy token out of scope' }, 'forbidden request');
      return problem(
        reply,
        403,
        'MC_FORBIDDEN',
        `a deploy token may only update and watch its own app (${deploy.app})`,
      );
    }
    if (given !== '') scoped?.limit?.fail(request.ip);
    request.log.warn(
      { path, ip: request.ip, reason: given === '' ? 'missing token' : 'wrong token' },
      'unauthorized request',
    );
    return problem(reply, 401, 'MC_UNAUTHORIZED', 'a valid bearer token is required');
  };
}

function appParam(request: FastifyRequest): string | undefined {
  const name = (request.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}
