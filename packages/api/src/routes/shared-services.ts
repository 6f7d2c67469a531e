import { port, type Api, type ApiContext } from '../context.js';
import { problems, SharedServicesReply } from '../schemas.js';

// The need kinds' shared services (MariaDB, RabbitMQ, PostgreSQL, Redis), which run only while
// an app needs them: their state, for the operator and the admin pages.
export function sharedServiceRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/v1/services',
    {
      schema: {
        summary: 'The shared services of the need kinds: which run, which are idle, and the apps that need each',
        tags: ['platform'],
        response: { 200: SharedServicesReply, ...problems(502, 503) },
      },
    },
    async () => {
      const apps = port(ctx.apps, 'the app lifecycle');
      return { services: await port(apps.sharedServices?.bind(apps), 'shared services')() };
    },
  );
}
