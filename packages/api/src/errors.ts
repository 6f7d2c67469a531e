import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMinicloudError, pointerToPath } from '@minicloud/core';
import { problem, type ProblemField } from './problem.js';

/** Every failure leaves as problem+json: domain errors by their code, bad requests as 400. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isMinicloudError(error)) {
      const fields = error.details.map((d) => ({ field: d.path, message: d.message }));
      return problem(reply, error.status, error.code, error.message, fields);
    }
    if (error.validation) {
      const ruled = new Map<string, string>();
      const fields = error.validation.map((v) => {
        const missing = (v.params as { missingProperty?: string }).missingProperty;
        const extra = (v.params as { additionalProperty?: string }).additionalProperty;
        const base = pointerToPath(v.instancePath);
        const key = missing ?? extra;
        // `x-rule` / `x-key-rule` in a schema is the sentence to print (ajv runs verbose for it).
        const schema = (v as { parentSchema?: Record<string, unknown> }).parentSchema ?? {};
        const rule = typeof schema['x-rule'] === 'string' ? schema['x-rule'] : undefined;
        const keyRule = typeof schema['x-key-rule'] === 'string' ? schema['x-key-rule'] : undefined;
        const field = [error.validationContext, base, key].filter(Boolean).join('.');
        if (rule && !extra && !missing) ruled.set(field, rule);
        return {
          field,
          message: extra
            ? (keyRule ?? 'is not a known field')
            : missing
              ? 'is required'
              : (rule ?? v.message ?? 'is invalid'),
        };
      });
      return problem(
        reply,
        400,
        'MC_BAD_REQUEST',
        `invalid request ${error.validationContext ?? ''}`.trim(),
        oneMessagePerField(fields, ruled),
      );
    }
    if (error.statusCode && error.statusCode < 500) {
      const code = { 401: 'MC_UNAUTHORIZED', 403: 'MC_FORBIDDEN', 404: 'MC_NOT_FOUND' }[error.statusCode];
      return problem(reply, error.statusCode, code ?? 'MC_BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unexpected error');
    return problem(reply, 500, 'MC_INTERNAL', 'internal error; see the API logs');
  });
  app.setNotFoundHandler((request, reply) =>
    problem(reply, 404, 'MC_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}

/**
 * A union reports each branch's failure and then its own rule: where a field has a rule (an
 * `x-rule` sentence; the outermost, which ajv reports last), that sentence alone stands for
 * it. Repeated messages are dropped.
 */
function oneMessagePerField(fields: ProblemField[], rules: ReadonlyMap<string, string>): ProblemField[] {
  const seen = new Set<string>();
  const out: ProblemField[] = [];
  for (const f of fields) {
    const rule = rules.get(f.field);
    const entry =
      rule !== undefined && f.message !== 'is not a known field' && f.message !== 'is required'
        ? { field: f.field, message: rule }
        : f;
    const key = `${entry.field}\u0000${entry.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}

/**
 * What the router refuses before any route or hook runs (Fastify's `frameworkErrors`): a path
 * parameter over 100 characters and a URL that does not decode. Without this Fastify answers
 * them as plain JSON without a code, and echoes the whole path back.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return problem(reply, 414, 'MC_URI_TOO_LONG', 'a path parameter is longer than 100 characters', [
      { field: 'params', message: 'is longer than 100 characters' },
    ]);
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return problem(reply, 400, 'MC_BAD_REQUEST', 'the URL does not decode (bad percent-encoding)', [
      { field: 'params', message: 'is not valid percent-encoding' },
    ]);
  }
  // Left: an async route constraint that failed (we declare none): the server's fault.
  return problem(reply, 500, 'MC_INTERNAL', 'internal error; see the API logs');
}
