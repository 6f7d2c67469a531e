import { Type } from '@sinclair/typebox';
import { followRollouts, MinicloudError, tagPushes, type Sensitive } from '@minicloud/core';
import { runAs } from '../actor.js';
import { port, type Api, type ApiContext } from '../context.js';
import { problems, RegistryEnvelope } from '../schemas.js';
import { bearerToken, secretMatcher } from '../same-secret.js';

// Push to deploy: the private registry tells the API of every push (its notification
// endpoint, set in its config file by `platform init`), and each app following the pushed
// tag is updated to the pushed digest, as a job with the usual rollback. The registry sends
// the platform's notify token; anything else (an app on the shared network faking a push to
// roll another app back to an old image) is refused.

const MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

export interface RegistryHookOptions {
  /** The token the registry's notifications carry (secrets/registry-notify-token). */
  token: Sensitive<string>;
  /** The registry as image references name it (host:port). */
  registryAddr: string;
}

export function registryHookRoutes(app: Api, ctx: ApiContext, options: RegistryHookOptions | undefined): void {
  app.addContentTypeParser(MEDIA_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  const isNotifyToken = options ? secretMatcher(options.token.reveal()) : () => false;

  app.post(
    '/v1/registry/events',
    {
      schema: {
        summary: "The private registry's push notifications: apps following a pushed tag roll out (jobs)",
        description:
          "Called by the platform's registry with its notify token as a bearer token. Only tagged manifest pushes " +
          'count; each app following that tag (`followTag`) is updated to `repository:tag@digest`.',
        tags: ['webhooks'],
        security: [],
        body: RegistryEnvelope,
        response: {
          202: Type.Object({
            jobs: Type.Array(Type.Object({ id: Type.String(), app: Type.String(), image: Type.String() })),
          }),
          ...problems(503),
        },
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      if (!isNotifyToken(bearerToken(request.headers.authorization))) {
        request.log.warn({ ip: request.ip }, 'registry notification with a wrong token');
        throw new MinicloudError('MC_UNAUTHORIZED', 'a registry notification needs the notify token');
      }
      const lifecycle = port(ctx.apps, 'the app lifecycle');
      const pushes = tagPushes(request.body.events);
      const rollouts = pushes.length > 0 ? followRollouts(pushes, await lifecycle.list(), options!.registryAddr) : [];
      const jobs = rollouts.map(({ app: name, image }) =>
        runAs('registry push', () =>
          ctx.jobs.start('app.update', name, (progress) => lifecycle.update(name, { image }, progress)),
        ),
      );
      for (const [i, job] of jobs.entries())
        request.log.info({ app: rollouts[i]!.app, image: rollouts[i]!.image, job: job.id }, 'push to deploy');
      return reply
        .code(202)
        .send({ jobs: jobs.map((j, i) => ({ id: j.id, app: rollouts[i]!.app, image: rollouts[i]!.image })) });
    },
  );
}
