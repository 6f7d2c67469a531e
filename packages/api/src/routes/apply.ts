import { Type } from '@sinclair/typebox';
import { port, type Api, type ApiContext } from '../context.js';
import { ApplyBody, DiffReply, problems } from '../schemas.js';
import { answerJob } from './job-reply.js';

// The configuration directory as the source of truth: apply it (a job, as an add is), or see
// how what runs drifted from it. Admin only (the default): an apply may add and remove any app.

const TAGS = ['apps'];
const WaitQuery = Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export function applyRoutes(app: Api, ctx: ApiContext): void {
  const configApply = () => port(ctx.configApply, 'apply');

  app.post(
    '/v1/apply',
    {
      schema: {
        summary: 'Reconcile the apps to the configuration directory (a job; dryRun plans only)',
        description:
          "Without `apps`, the platform's own configuration directory is the desired state; with them, the apps " +
          'of another directory a client read (a git checkout), and `secrets` their env values. The plan lists ' +
          'each app as create, update (the fields that differ; env values only as `secret`), unchanged, or ' +
          'remove: removals only with `prune` (else `skip`). A missing env value fails with `MC_CONFIG_INVALID` ' +
          'naming app and variable, and nothing is applied. Answers 202 with the job, or with `?wait=true` 200 ' +
          'with the plan once it is carried out.',
        tags: TAGS,
        querystring: WaitQuery,
        body: ApplyBody,
        response: { 202: Type.Ref('Job'), 200: Type.Ref('ApplyResult'), ...problems(404, 409, 502, 503) },
      },
    },
    async (request, reply) => {
      const applier = configApply();
      const body = request.body;
      const job = ctx.jobs.start('apply', 'apply', (progress) => applier.apply(body, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.get(
    '/v1/diff',
    {
      schema: {
        summary: 'What runs vs the configuration directory: per app and service, each field that differs',
        description: 'Image, replicas, env and labels of each service. Secret values are never shown: `secret: true`.',
        tags: TAGS,
        response: { 200: DiffReply, ...problems(502, 503) },
      },
    },
    async () => ({ drift: await configApply().diff() }),
  );
}
