import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { MinicloudError } from '@minicloud/core';
import type { Api, ApiContext } from '../context.js';
import { JobParams, JobQuery, problems } from '../schemas.js';

export function jobRoutes(app: Api, ctx: ApiContext): void {
  const jobApp = (request: FastifyRequest) => ctx.jobs.get((request.params as { id?: string }).id ?? '')?.app;

  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'Recent jobs, newest first (finished ones are kept for an hour)',
        tags: ['jobs'],
        querystring: Type.Object(
          { app: Type.Optional(Type.String({ maxLength: 512 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ jobs: Type.Array(Type.Ref('Job')) }), ...problems() },
      },
    },
    async (request) => ({ jobs: ctx.jobs.list(request.query.app) }),
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: "A job's state, progress and result; `?wait=N` answers when it finishes or after N seconds",
        tags: ['jobs'],
        params: JobParams,
        querystring: JobQuery,
        response: { 200: Type.Ref('Job'), ...problems(403, 404) },
      },
      // A deploy token may watch the jobs of its own app.
      config: { auth: 'app', appOf: jobApp },
    },
    async (request) => {
      const job = await ctx.jobs.wait(request.params.id, (request.query.wait ?? 0) * 1000);
      if (!job) throw new MinicloudError('MC_JOB_NOT_FOUND', `no job ${request.params.id}`);
      return job;
    },
  );
}
