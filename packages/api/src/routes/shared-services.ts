import { Type } from '@sinclair/typebox';
import { port, type Api, type ApiContext } from '../context.js';
import { emptyBody } from './empty-body.js';
import { problems, SettleServicesReply, SharedServicesReply } from '../schemas.js';

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

  // A shared service no app needs any more keeps running a while (the linger) so that an app
  // removed and added again does not wait for it to start; this stops such services now.
  app.post(
    '/v1/services/settle',
    {
      schema: {
        summary: 'Stop now the shared services no app needs and that hold no app data (they linger otherwise)',
        tags: ['platform'],
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: SettleServicesReply, ...problems(400, 502, 503) },
      },
      preValidation: emptyBody,
    },
    async () => {
      const apps = port(ctx.apps, 'the app lifecycle');
      return { stopped: await port(apps.settleServices?.bind(apps), 'shared services')() };
    },
  );
}
