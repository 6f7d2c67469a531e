import { Type } from '@sinclair/typebox';
import { assertNotRemoving, durationToNanos, MinicloudError, parseSince, type AppLogOptions } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import { LogsQuery, LogsReply, NameParams, RestartBody, problems } from '../schemas.js';
import { answerJob } from './job-reply.js';
import { emptyBody } from './empty-body.js';
import { sendNdjson } from './ndjson.js';

// Day-two operations on a running app: its logs (read, or followed as a stream) and a rolling
// restart. Both are `app` routes: a deploy token may use them for its own app, as a CI job
// that deployed it would.

const TAGS = ['apps'];

function logOptions(query: { tail?: number; since?: string; runner?: string }, now: Date): AppLogOptions {
  const options: AppLogOptions = { tail: query.tail ?? 200 };
  if (query.runner !== undefined) options.runner = query.runner;
  if (query.since !== undefined) {
    const since = parseSince(query.since, now, durationToNanos);
    if (!since) {
      throw new MinicloudError('MC_BAD_REQUEST', `since "${query.since}" is neither a duration nor a time`, [
        {
          path: 'querystring.since',
          message: 'must be a duration back from now (90s, 10m, 2h, 3d) or an RFC 3339 time',
        },
      ]);
    }
    options.since = since;
  }
  return options;
}

export function appOpsRoutes(app: Api, ctx: ApiContext): void {
  const apps = () => port(ctx.apps, 'the app lifecycle');

  app.get(
    '/v1/apps/:name/logs',
    {
      schema: {
        summary: "The app's logs: every task of every service (or one runner), merged, with task and node",
        description:
          'Answers the last `tail` lines as JSON; with `follow=true` the response stays open and streams ' +
          'each line as it is written, one JSON object per line (`application/x-ndjson`; blank lines are keep-alives).',
        tags: TAGS,
        params: NameParams,
        querystring: LogsQuery,
        response: { 200: LogsReply, ...problems(400, 403, 404, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request, reply) => {
      const { name } = request.params;
      await apps().show(name);
      const logs = port(ctx.logs, 'reading logs');
      const options = logOptions(request.query, new Date());
      if (!request.query.follow) return { lines: await logs.appLogs(name, options) };

      const stop = new AbortController();
      return sendNdjson(reply, logs.followLogs(name, { ...options, signal: stop.signal }), stop);
    },
  );

  app.post(
    '/v1/apps/:name/restart',
    {
      schema: {
        summary: 'Restart an app: new tasks for every service (or one runner), rolling and start-first (a job)',
        description:
          'Each new task runs (and is healthy, where the app has a healthcheck) before the old one stops, so ' +
          'requests keep being served. Deploy tokens of the app may call it.',
        tags: TAGS,
        params: NameParams,
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        body: RestartBody,
        response: { 202: Type.Ref('Job'), 200: Type.Ref('AppStatus'), ...problems(403, 404, 409, 502, 503) },
      },
      config: { auth: 'app' },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const lifecycle = apps();
      const { name } = request.params;
      assertNotRemoving(await lifecycle.show(name)); // 404 or 409 now rather than in the job
      const { runner } = request.body;
      const options = runner !== undefined ? { runner } : {};
      const job = ctx.jobs.start('app.restart', name, (progress) => lifecycle.restart(name, options, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );
}
