import type { FastifyInstance } from 'fastify';
import { actorOf } from './actor.js';
import { jobEvent, type EventsPort } from './events.js';
import type { JobRunner } from './jobs.js';

// What goes into the event log from the API: each job when it ends (with who started it), and
// each other change that succeeded (a domain, a token, a node label...), by route and actor.
// Reads are not recorded, nor the requests that start a job (the job's end is).

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function recordChanges(app: FastifyInstance, jobs: JobRunner, events: EventsPort): void {
  const record = (event: Parameters<EventsPort['record']>[0]) =>
    events.record(event).catch((error: Error) => app.log.error({ reason: error.message }, 'event not recorded'));

  jobs.onFinish((job, actor) => void record(jobEvent(job, actor)));

  app.addHook('onResponse', async (request, reply) => {
    if (!CHANGES.has(request.method) || reply.statusCode >= 400) return;
    const route = request.routeOptions.url ?? '';
    // A job's end is its event; a webhook or a registry push is recorded by the jobs it starts.
    if (!route.startsWith('/v1/') || route.startsWith('/v1/hooks/') || route === '/v1/registry/events') return;
    if (reply.getHeader('x-job-id') !== undefined || String(reply.getHeader('location') ?? '').startsWith('/v1/jobs/'))
      return;
    if (route === '/v1/platform/notifications/test') return;
    const app = (request.params as { name?: string } | undefined)?.name;
    await record({
      kind: `api ${request.method} ${route}`,
      level: 'info',
      actor: actorOf(request.principal),
      message: `${request.method} ${route.replace(':name', app ?? ':name')}`,
      ...(app ? { app } : {}),
    });
  });
}
