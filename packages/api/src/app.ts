import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Sensitive } from '@minicloud/core';
import { bearerAuth } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { loggerOptions } from './logger.js';
import { healthRoutes } from './routes/health.js';

export interface AppOptions {
  /** The admin token; every route but /health and /docs needs it. */
  adminToken: Sensitive<string>;
  logger?: boolean;
}

/** Builds the API without listening, so tests drive it with `app.inject`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(),
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'minicloud API', version: '0.1.0', description: 'Run many small web apps on Docker Swarm.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  registerErrorHandler(app);
  app.addHook('onRequest', bearerAuth(options.adminToken));
  await app.register(healthRoutes);
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
