import { Type } from '@sinclair/typebox';
import { port, type Api, type ApiContext } from '../context.js';
import { emptyBody } from './empty-body.js';
import { EventList, EventsQuery, NotifyBody, NotifyView, problems } from '../schemas.js';

// The event log (who did what, and what went wrong on its own) and where notifications go.
// Admin only: events name every app, and the webhook is the platform's.

const TAGS = ['events'];

export function eventRoutes(app: Api, ctx: ApiContext): void {
  const events = () => port(ctx.events, 'the event log');

  app.get(
    '/v1/events',
    {
      schema: {
        summary: 'Recent events, newest first: jobs and changes with who made them, and alerts',
        description:
          'Alerts (`alert.crash-loop`, `alert.node-down`, `alert.certificate-expiring`) are recorded when a condition ' +
          'begins and again (`.resolved`) when it ends; `alert.disk-space` each time a filesystem gets low or critical. `after` gives only events newer than that id.',
        tags: TAGS,
        querystring: EventsQuery,
        response: { 200: EventList, ...problems(503) },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        events: events().list({
          limit: q.limit ?? 100,
          ...(q.app !== undefined ? { app: q.app } : {}),
          ...(q.after !== undefined ? { after: q.after } : {}),
          ...(q.level !== undefined ? { minLevel: q.level } : {}),
        }),
      };
    },
  );

  app.get(
    '/v1/platform/notifications',
    {
      schema: {
        summary: 'Where notifications go: the webhook (scheme and host only) and the lowest level sent',
        tags: TAGS,
        response: { 200: NotifyView, ...problems(503) },
      },
    },
    async () => events().notifications(),
  );

  app.put(
    '/v1/platform/notifications',
    {
      schema: {
        summary: 'Send events at or above a level to a webhook (JSON with `text` and `event`)',
        description:
          'Generic JSON, usable with Slack- or Discord-style incoming webhooks and ntfy-style endpoints. ' +
          'The URL is kept in the secrets dir and never shown back whole.',
        tags: TAGS,
        body: NotifyBody,
        response: { 200: NotifyView, ...problems(503) },
      },
    },
    async (request) => {
      const { webhook, minLevel } = request.body;
      return events().setNotifications({ webhook, ...(minLevel ? { minLevel } : {}) });
    },
  );

  app.delete(
    '/v1/platform/notifications',
    {
      schema: {
        summary: 'Stop sending notifications (events are still recorded)',
        tags: TAGS,
        response: { 200: NotifyView, ...problems(503) },
      },
    },
    async () => events().setNotifications(null),
  );

  app.post(
    '/v1/platform/notifications/test',
    {
      schema: {
        summary: 'Record a test event at the configured level, so it is sent to the webhook',
        tags: TAGS,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: Type.Object({ id: Type.Integer() }), ...problems(503) },
      },
      preValidation: emptyBody,
    },
    async () => {
      const { minLevel } = await events().notifications();
      const event = await events().record({
        kind: 'notify.test',
        level: minLevel,
        actor: 'admin',
        message: 'a test notification: the webhook works',
      });
      return { id: event.id };
    },
  );
}
