import type { FastifyReply } from 'fastify';
import type { ApiContext } from '../context.js';
import type { JobRecord } from '../jobs.js';

/**
 * How a request that started a job answers: at once with 202, the job and its Location; or,
 * with `?wait=true`, when the job is done, as a plain request would (the result, or the
 * job's error as problem+json through the error handler).
 */
export async function answerJob(
  ctx: ApiContext,
  reply: FastifyReply,
  job: JobRecord,
  wait: boolean | undefined,
  done: { status: number; empty?: boolean },
): Promise<unknown> {
  if (!wait) {
    return reply.code(202).header('location', `/v1/jobs/${job.id}`).send(job);
  }
  const result = await ctx.jobs.outcome(job.id);
  reply.header('x-job-id', job.id);
  if (done.empty) return reply.code(done.status).send();
  return reply.code(done.status).send(result);
}
