import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { platformVersion } from '@minicloud/core';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  // Read once: the version cannot change under a running process.
  const version = platformVersion();
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness probe and the platform version; needs no token',
        tags: ['platform'],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            version: Type.String({ description: "The platform's version (minicloud version prints it)" }),
          }),
        },
      },
    },
    async () => ({ status: 'ok' as const, version }),
  );
}
