import { port, type Api, type ApiContext } from '../context.js';
import { AppStatsReply, NameParams, ServerReply, StatsQuery, problems } from '../schemas.js';

// What apps use: an app's tasks now and its last hour (an `app` route: a deploy token may watch
// its own app), and the whole server's memory and disk (admin only: it names every app).

export function statsRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/v1/apps/:name/stats',
    {
      schema: {
        summary: "An app's running tasks now (CPU, memory and its limit, network, restarts) and its last hour",
        description:
          "Each task is read from its own node's engine; a task that cannot be read has `error` instead of figures. " +
          '`history` is the whole app, one sample a minute.',
        tags: ['apps'],
        params: NameParams,
        querystring: StatsQuery,
        response: { 200: AppStatsReply, ...problems(403, 404, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request) => {
      const { name } = request.params;
      await port(ctx.apps, 'the app lifecycle').show(name);
      const { runner } = request.query;
      const figures = await port(ctx.stats, 'reading stats').appStats(name, runner !== undefined ? { runner } : {});
      return { app: name, at: new Date().toISOString(), ...figures };
    },
  );

  app.get(
    '/v1/server',
    {
      schema: {
        summary: "The server's memory (each node) and disk (the data dir), by the platform and by each app",
        tags: ['platform'],
        response: { 200: ServerReply, ...problems(502, 503) },
      },
    },
    async () => port(ctx.stats, 'reading stats').serverFigures(),
  );
}
