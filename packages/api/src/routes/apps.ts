import { Type } from '@sinclair/typebox';
import {
  assertNotRemoving,
  checkKeptDataChoice,
  checkAddOrigin,
  checkUpdateOrigin,
  MinicloudError,
  readComposeApp,
  type AppStatus as AppStatusValue,
} from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import {
  AddAppBody,
  AppList,
  DomainBody,
  Hostname,
  NameParams,
  NeedBody,
  NeedName,
  UpdateAppBody,
  UpdateResult,
  problems,
} from '../schemas.js';
import { answerJob } from './job-reply.js';

const TAGS = ['apps'];
const JobOr = (status: number, body: unknown) => ({ 202: Type.Ref('Job'), [status]: body });
const WaitQuery = Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const PurgeQuery = Type.Object(
  { wait: Type.Optional(Type.Boolean()), purge: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** One line of the list: what a person scans for (no manifest, no tasks). */
export function summarize(a: AppStatusValue) {
  let running = 0;
  let desired = 0;
  for (const s of a.services) {
    running += s.running;
    desired += s.desired;
  }
  return {
    name: a.name,
    state: a.state,
    ...(a.removal ? { removal: a.removal } : {}),
    image: a.image,
    health: a.health,
    replicas: a.replicas,
    running,
    desired,
    ...(a.placement ? { placement: a.placement } : {}),
    needs: a.needs,
    urls: a.urls,
    updatedAt: a.updatedAt,
  };
}

/**
 * Core's checks of which fields go together, answered as the route schema's own 400s are
 * (MC_BAD_REQUEST naming `body.<field>`): "exactly one of image and compose" is a rule of the
 * body that JSON Schema would state only as an unreadable oneOf.
 */
function asBodyError(check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof MinicloudError && error.code === 'MC_SETTINGS_INVALID')) throw error;
    const details = error.details.map((d) => ({ ...d, path: `body.${d.path}` }));
    throw new MinicloudError('MC_BAD_REQUEST', error.message, details);
  }
}

export function appRoutes(app: Api, ctx: ApiContext): void {
  const apps = () => port(ctx.apps, 'the app lifecycle');
  /** 409 now, rather than in the job, for an app whose removal has not finished. */
  const refuseIfRemoving = async (name: string) => {
    const found = await apps()
      .show(name)
      .catch(() => undefined);
    if (found) assertNotRemoving(found);
  };

  app.get(
    '/v1/apps',
    {
      schema: {
        summary: 'List apps with their status',
        tags: TAGS,
        response: { 200: AppList, ...problems(503) },
      },
    },
    async () => ({ apps: (await apps().list()).map(summarize) }),
  );

  app.post(
    '/v1/apps',
    {
      schema: {
        summary: 'Add an app from an image or a compose file (a job: deploys it with what it needs)',
        description:
          'Reads the cloud manifest from the image, provisions its needs, deploys its stack and routes its domains. ' +
          'With `compose` (the text of a compose file, and `name`) instead of `image`, its `x-minicloud` says what ' +
          'a manifest says; the file is checked at once (400 `MC_COMPOSE_INVALID` naming each path). ' +
          'Answers 202 with the job at once, or with `?wait=true` 201 with the app once it runs. ' +
          'Data an earlier app of the name left (its database, vhost or storage) fails the add with ' +
          '`MC_APP_DATA_EXISTS` unless `adopt` (take it over) or `purgeOld` (drop it first) is given; ' +
          'a name still being removed fails with `MC_APP_REMOVING`.',
        tags: TAGS,
        querystring: WaitQuery,
        body: AddAppBody,
        response: { ...JobOr(201, Type.Ref('AppStatus')), ...problems(400, 404, 409, 502, 503) },
      },
    },
    async (request, reply) => {
      const lifecycle = apps();
      const input = request.body;
      checkKeptDataChoice(input);
      // A compose app's file and name are checked now (400), not in the job.
      asBodyError(() => checkAddOrigin(input));
      if (input.name !== undefined) await refuseIfRemoving(input.name);
      const label = input.name ?? input.image ?? 'compose';
      const job = ctx.jobs.start('app.add', label, (progress) => lifecycle.add(input, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 201 });
    },
  );

  app.get(
    '/v1/apps/:name',
    {
      schema: {
        summary: 'Show an app: services, tasks, replicas, health and URLs',
        tags: TAGS,
        params: NameParams,
        response: { 200: Type.Ref('AppStatus'), ...problems(403, 404, 503) },
      },
      config: { auth: 'app' },
    },
    async (request) => apps().show(request.params.name),
  );

  app.get(
    '/v1/apps/:name/compose',
    {
      schema: {
        summary: "A compose app's file, as last deployed (what the admin page's update form starts from)",
        tags: TAGS,
        params: NameParams,
        response: { 200: Type.Object({ compose: Type.String() }), ...problems(404, 503) },
      },
    },
    async (request) => ({ compose: await apps().composeFile(request.params.name) }),
  );

  app.patch(
    '/v1/apps/:name',
    {
      schema: {
        summary: 'Update an app: a new image or compose file, env or replicas (a job; deploy tokens may call it)',
        description:
          'A new version that fails its healthcheck is rolled back by the swarm: see `rolledBack`. ' +
          'An app added from a compose file is updated with `compose` (its new file), one added from an image ' +
          'with `image`.',
        tags: TAGS,
        params: NameParams,
        querystring: WaitQuery,
        body: UpdateAppBody,
        response: { ...JobOr(200, UpdateResult), ...problems(403, 404, 409, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request, reply) => {
      const lifecycle = apps();
      const { name } = request.params;
      const current = await lifecycle.show(name);
      assertNotRemoving(current); // 404 or 409 now rather than in the job
      const input = request.body;
      asBodyError(() => checkUpdateOrigin(current, input));
      if (input.compose !== undefined) readComposeApp(input.compose);
      const job = ctx.jobs.start('app.update', name, (progress) => lifecycle.update(name, input, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.delete(
    '/v1/apps/:name',
    {
      schema: {
        summary: 'Remove an app (a job); `purge=true` also drops its database, vhost and storage',
        description:
          'Its deploy tokens and webhook are revoked first. The app shows `state: removing` until every part is ' +
          'gone; a step that fails leaves it so (`MC_APP_REMOVE_INCOMPLETE` names what is left), and removing it ' +
          'again finishes (a purge once started stays one).',
        tags: TAGS,
        params: NameParams,
        querystring: PurgeQuery,
        response: { 202: Type.Ref('Job'), 204: Type.Null(), ...problems(404, 502, 503) },
      },
    },
    async (request, reply) => {
      const lifecycle = apps();
      const { name } = request.params;
      await lifecycle.show(name);
      const purge = request.query.purge ?? false;
      const job = ctx.jobs.start('app.remove', name, async (progress) => {
        // Credentials first: whichever later step fails, no deploy token or webhook is left
        // for a name that is gone (and inherited by the next app of that name). A failed
        // purge keeps the record; running the remove again finishes it.
        progress('revoking its deploy tokens and webhook');
        await ctx.tokens.forgetApp(name);
        await lifecycle.remove(name, { purge }, progress);
        return { removed: name };
      });
      return answerJob(ctx, reply, job, request.query.wait, { status: 204, empty: true });
    },
  );

  app.post(
    '/v1/apps/:name/needs',
    {
      schema: {
        summary: 'Attach a need: a database, a message bus or storage (a job)',
        tags: ['needs'],
        params: NameParams,
        querystring: WaitQuery,
        body: NeedBody,
        response: { ...JobOr(200, Type.Ref('AppStatus')), ...problems(400, 404, 409, 502, 503) },
      },
    },
    async (request, reply) => {
      const lifecycle = apps();
      const { name } = request.params;
      const { need, adopt, purgeOld } = request.body;
      const choice = { ...(adopt !== undefined ? { adopt } : {}), ...(purgeOld !== undefined ? { purgeOld } : {}) };
      checkKeptDataChoice(choice);
      assertNotRemoving(await lifecycle.show(name));
      const job = ctx.jobs.start('app.need.attach', name, (progress) =>
        lifecycle.attachNeed(name, need, progress, choice),
      );
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.delete(
    '/v1/apps/:name/needs/:need',
    {
      schema: {
        summary: 'Detach a need (a job); `purge=true` also drops its data',
        tags: ['needs'],
        params: Type.Object({ name: NameParams.properties.name, need: NeedName }),
        querystring: PurgeQuery,
        response: { ...JobOr(200, Type.Ref('AppStatus')), ...problems(404, 409, 502, 503) },
      },
    },
    async (request, reply) => {
      const lifecycle = apps();
      const { name, need } = request.params;
      assertNotRemoving(await lifecycle.show(name));
      const purge = request.query.purge ?? false;
      const job = ctx.jobs.start('app.need.detach', name, (progress) =>
        lifecycle.detachNeed(name, need, { purge }, progress),
      );
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.post(
    '/v1/apps/:name/domains',
    {
      schema: {
        summary: "Route a domain to the app, with the operator's certificate or one from the platform CA",
        description:
          'A certificate (RSA of 2048 bits or more, or ECDSA P-256/P-384, with any chain after it) must match ' +
          'its key, name the domain and be valid now. For a domain the app has already, it replaces the ' +
          "domain's certificate; without one, that is a no-op.",
        tags: ['domains'],
        params: NameParams,
        body: DomainBody,
        response: { 200: Type.Ref('AppStatus'), ...problems(404, 409, 502, 503) },
      },
    },
    async (request) => {
      const { domain, certificate } = request.body;
      const { name } = request.params;
      const lifecycle = apps();
      return ctx.jobs.exclusive(name, () => lifecycle.addDomain(name, domain, certificate));
    },
  );

  app.delete(
    '/v1/apps/:name/domains/:domain',
    {
      schema: {
        summary: 'Stop routing a domain to the app (its certificate goes too)',
        tags: ['domains'],
        params: Type.Object({ name: NameParams.properties.name, domain: Hostname }),
        response: { 200: Type.Ref('AppStatus'), ...problems(404, 409, 502, 503) },
      },
    },
    async (request) => {
      const { name, domain } = request.params;
      const lifecycle = apps();
      return ctx.jobs.exclusive(name, () => lifecycle.removeDomain(name, domain));
    },
  );
}
