import { Type } from '@sinclair/typebox';
import { MinicloudError } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import {
  CreateTokenBody,
  DockerHubPush,
  NameParams,
  NewDeployToken,
  NewWebhook,
  Webhook,
  problems,
} from '../schemas.js';

/** `https://admin.example.com` as clients reach it: from the options, else from the request. */
function baseUrl(ctx: ApiContext, request: { protocol: string; host: string }): string {
  return ctx.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** A public route's error responses: no 429, which only routes that take a bearer token answer. */
function withoutRateLimit<R extends Record<number, unknown>>(responses: R): R {
  return Object.fromEntries(Object.entries(responses).filter(([status]) => status !== '429')) as R;
}

export function tokenRoutes(app: Api, ctx: ApiContext): void {
  const apps = () => port(ctx.apps, 'the app lifecycle');

  app.get(
    '/v1/tokens',
    {
      schema: {
        summary: 'List deploy tokens (never their secrets)',
        tags: ['tokens'],
        querystring: Type.Object(
          { app: Type.Optional(Type.String({ maxLength: 64 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ tokens: Type.Array(Type.Ref('DeployToken')) }), ...problems() },
      },
    },
    async (request) => ({ tokens: ctx.tokens.listDeployTokens(request.query.app) }),
  );

  app.post(
    '/v1/tokens',
    {
      schema: {
        summary: 'Make a deploy token that can only update one app (for a CI pipeline); the secret is shown once',
        tags: ['tokens'],
        body: CreateTokenBody,
        response: { 201: NewDeployToken, ...problems(404, 503) },
      },
    },
    async (request, reply) => {
      const { app: name, description } = request.body;
      // In the app's queue: a token is never made while the app is being removed.
      const made = await ctx.jobs.exclusive(name, async () => {
        await apps().show(name);
        return ctx.tokens.createDeployToken(name, description ?? '');
      });
      request.log.info({ tokenId: made.id, app: made.app }, 'deploy token created');
      return reply.code(201).send({ ...made, token: made.token.reveal() });
    },
  );

  app.delete(
    '/v1/tokens/:id',
    {
      schema: {
        summary: 'Revoke a deploy token',
        tags: ['tokens'],
        params: Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{1,64}$' }) }),
        response: { 204: Type.Null(), ...problems(404) },
      },
    },
    async (request, reply) => {
      await ctx.tokens.revokeDeployToken(request.params.id);
      request.log.info({ tokenId: request.params.id }, 'deploy token revoked');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/apps/:name/webhook',
    {
      schema: {
        summary: 'Whether the app has a webhook (a push of its image redeploys it)',
        tags: ['webhooks'],
        params: NameParams,
        response: { 200: Webhook, ...problems(404, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      await apps().show(name);
      return { app: name, ...ctx.tokens.webhook(name) };
    },
  );

  app.put(
    '/v1/apps/:name/webhook',
    {
      schema: {
        summary: "Make (or replace) the app's webhook; its URL, holding the secret, is shown once",
        tags: ['webhooks'],
        params: NameParams,
        response: { 201: NewWebhook, ...problems(404, 503) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { createdAt, secret } = await ctx.jobs.exclusive(name, async () => {
        await apps().show(name);
        return ctx.tokens.createWebhook(name);
      });
      const url = `${baseUrl(ctx, request)}/v1/hooks/${name}?token=${encodeURIComponent(secret.reveal())}`;
      return reply.code(201).send({ app: name, enabled: true, createdAt, url });
    },
  );

  app.delete(
    '/v1/apps/:name/webhook',
    {
      schema: {
        summary: "Remove the app's webhook",
        tags: ['webhooks'],
        params: NameParams,
        response: { 204: Type.Null(), ...problems(404) },
      },
    },
    async (request, reply) => {
      if (!(await ctx.tokens.removeWebhook(request.params.name)))
        throw new MinicloudError('MC_TOKEN_NOT_FOUND', `app ${request.params.name} has no webhook`);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/hooks/:name',
    {
      schema: {
        summary: 'The webhook a registry calls when the image is pushed (Docker Hub payload); redeploys the app',
        description:
          "Authenticated by the app's webhook secret in `?token=` (no bearer token: registries cannot send one). " +
          "Only a push of the app's own repository counts; the app is updated to the pushed tag, as a job.",
        tags: ['webhooks'],
        security: [],
        params: NameParams,
        querystring: Type.Object({ token: Type.String({ maxLength: 256 }) }),
        body: DockerHubPush,
        // No 429: a wrong webhook secret is not counted against the caller's address, which
        // for Docker Hub is shared by everyone's hooks (one bad hook would stop all of them).
        response: { 202: Type.Ref('Job'), ...withoutRateLimit(problems(403, 503)) },
      },
      config: { auth: 'public' },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!ctx.tokens.checkWebhook(name, request.query.token)) {
        request.log.warn({ app: name }, 'webhook with a wrong secret');
        throw new MinicloudError('MC_UNAUTHORIZED', 'wrong or missing webhook secret');
      }
      const lifecycle = apps();
      const current = await lifecycle.show(name);
      const repo = repositoryOf(current.image);
      const pushed = request.body.repository.repo_name;
      if (!sameRepository(repo, pushed)) {
        throw new MinicloudError('MC_FORBIDDEN', `app ${name} runs ${repo}, not ${pushed}`, [
          { path: 'body.repository.repo_name', message: `must be the app's repository (${repo})` },
        ]);
      }
      const image = `${repo}:${request.body.push_data.tag}`;
      const job = ctx.jobs.start('app.update', name, (progress) => lifecycle.update(name, { image }, progress));
      request.log.info({ app: name, image, job: job.id }, 'webhook: redeploying');
      return reply.code(202).header('location', `/v1/jobs/${job.id}`).send(job);
    },
  );
}

/** `host:5000/team/app:1@sha256:...` -> `host:5000/team/app`. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * Docker Hub names `library/nginx` or `team/app`; the app's image may say `docker.io/team/app`,
 * `nginx`, or name another registry (`reg.example.com:5443/team/app`): the paths must agree.
 */
export function sameRepository(appRepo: string, pushed: string): boolean {
  const path = (r: string) => {
    const parts = r.split('/');
    const first = parts[0] ?? '';
    if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
    return parts.length === 1 ? `library/${parts[0]}` : parts.join('/');
  };
  return appRepo === pushed || path(appRepo) === path(pushed);
}
