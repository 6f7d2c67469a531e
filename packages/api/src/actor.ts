import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Principal } from './auth.js';

// Who a request acts for, kept for the whole request (and the job it starts) without passing
// it through every route: the event log says "admin" or "deploy-token 3f2a…" for each change.

const current = new AsyncLocalStorage<string>();

export function actorOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'admin' ? 'admin' : `deploy-token ${principal.tokenId}`;
}

/** An onRequest hook, after the auth hook: the rest of the request runs as its principal. */
export function actorHook(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  current.run(actorOf(request.principal), done);
}

/** The actor of the request this code runs for; `platform` outside any request (timers). */
export function currentActor(): string {
  return current.getStore() ?? 'platform';
}

/** Runs `work` as another actor: what the platform does on a caller's behalf (a registry push). */
export function runAs<T>(actor: string, work: () => T): T {
  return current.run(actor, work);
}
