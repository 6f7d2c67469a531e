import type { FastifyRequest } from 'fastify';

/** For routes whose body has only optional fields: a POST with no body at all means `{}`. */
export async function emptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
