import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Sensitive } from '@minicloud/core';
import { problem } from './problem.js';

/** Routes anyone may call: the load balancer's health probe and the API documentation. */
const PUBLIC = [/^\/health$/, /^\/docs(\/|$)/];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Bearer-token check in constant time: both sides are hashed first, so neither the length nor
 * the content of the token leaks through timing. The token itself is never logged.
 */
export function bearerAuth(token: Sensitive<string>) {
  const expected = digest(token.reveal());
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC.some((p) => p.test(path))) return;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (given !== '' && timingSafeEqual(digest(given), expected)) return;
    request.log.warn({ path, reason: given === '' ? 'missing token' : 'wrong token' }, 'unauthorized request');
    return problem(reply, 401, 'MC_UNAUTHORIZED', 'a valid bearer token is required');
  };
}
