import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

/** The key authorizations the platform's ACME orders are waiting to be fetched (core's ChallengeResponses). */
export interface AcmeChallengeAnswers {
  answer(host: string, token: string): string | undefined;
}

/**
 * The ACME server's HTTP-01 fetch. The proxy sends /.well-known/acme-challenge/ on port 80 of
 * every host name here (never to an app), with the host it was asked for. Public, as the CA
 * calls it; it answers only a token the platform's own order made, for the host it was made
 * for, and 404 to everything else. Key authorizations are public by design (RFC 8555 8.3):
 * knowing one gains nothing but the answer the CA fetches anyway.
 */
export function acmeChallengeRoutes(app: FastifyInstance, answers: AcmeChallengeAnswers | undefined): void {
  app.get(
    '/.well-known/acme-challenge/:token',
    {
      config: { auth: 'public' },
      schema: {
        // Not part of the REST API: a protocol endpoint for the CA, as the proxy's own paths are.
        hide: true,
        params: Type.Object({ token: Type.String({ maxLength: 256 }) }),
      },
    },
    async (request, reply) => {
      const { token } = request.params as { token: string };
      const answer = answers?.answer(request.hostname, token);
      reply.header('cache-control', 'no-store');
      if (answer === undefined) return reply.code(404).type('text/plain').send('no such challenge\n');
      return reply.type('text/plain').send(answer);
    },
  );
}
