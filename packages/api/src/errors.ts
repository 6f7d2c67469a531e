import type { FastifyError, FastifyInstance } from 'fastify';
import { isMinicloudError, pointerToPath } from '@minicloud/core';
import { problem } from './problem.js';

/** Every failure leaves as problem+json: domain errors by their code, bad requests as 400. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isMinicloudError(error)) {
      const fields = error.details.map((d) => ({ field: d.path, message: d.message }));
      return problem(reply, error.status, error.code, error.message, fields);
    }
    if (error.validation) {
      const fields = error.validation.map((v) => {
        const missing = (v.params as { missingProperty?: string }).missingProperty;
        const extra = (v.params as { additionalProperty?: string }).additionalProperty;
        const base = pointerToPath(v.instancePath);
        const key = missing ?? extra;
        return {
          field: [error.validationContext, base, key].filter(Boolean).join('.'),
          message: extra ? 'is not a known field' : (v.message ?? 'is invalid'),
        };
      });
      return problem(reply, 400, 'MC_BAD_REQUEST', `invalid request ${error.validationContext ?? ''}`.trim(), fields);
    }
    if (error.statusCode && error.statusCode < 500) {
      return problem(reply, error.statusCode, 'MC_BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unexpected error');
    return problem(reply, 500, 'MC_INTERNAL', 'internal error; see the API logs');
  });
  app.setNotFoundHandler((request, reply) =>
    problem(reply, 404, 'MC_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}
