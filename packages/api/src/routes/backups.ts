import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BackupPolicyInputSchema, MinicloudError } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import type { BackupsPort, BackupSummary as Summary } from '../ports.js';
import {
  AppBackupBrief,
  BackupList,
  BackupParams,
  BackupPolicy,
  BackupRestoreResult,
  BackupSummary,
  BackupVerifyResult,
  CreateBackupBody,
  NameParams,
  RestoreBackupBody,
  VerifyBackupBody,
  WaitQuery,
  problems,
} from '../schemas.js';
import { answerJob } from './job-reply.js';
import { emptyBody } from './empty-body.js';

// An app's backups (issue 7) over the backups port: list with the app's backup status, back up
// now, restore (into the app or another one), test-restore, and the schedule and retention.
// Admin token only: a deploy token may update its app, never replace its data.

const TAGS = ['backups'];
const JobOr = (status: number, body: unknown) => ({ 202: Type.Ref('Job'), [status]: body });

type Brief = Static<typeof AppBackupBrief>;

/** What an app's status shows about its backups: the last success, its age, the state (and why failing). */
export async function backupBrief(backups: BackupsPort, app: string): Promise<Brief> {
  const s = await backups.status(app);
  const brief: Brief = { lastSuccessAt: s.last?.at ?? null, ageSeconds: s.last?.ageSeconds ?? null, state: s.state };
  if (s.state === 'failing') {
    const verify = s.lastVerify && !s.lastVerify.ok ? s.lastVerify : undefined;
    const reason =
      s.lastFailure?.reason ??
      (verify ? `the test restore of ${verify.id} failed: ${verify.reason ?? 'no reason given'}` : undefined);
    if (reason) brief.reason = reason;
  }
  return brief;
}

/** The backup `id` names, checked before a job starts: 404 now rather than in the job. */
async function existing(backups: BackupsPort, app: string, id: string): Promise<Summary> {
  const list = await backups.list(app);
  const found = id === 'latest' ? list.find((b) => b.complete) : list.find((b) => b.id === id);
  if (!found)
    throw new MinicloudError(
      'MC_BACKUP_NOT_FOUND',
      id === 'latest' ? `${app} has no complete backup` : `${app} has no backup ${id}`,
    );
  if (found.damaged) throw new MinicloudError('MC_BACKUP_DAMAGED', `backup ${app}/${found.id}: ${found.reason ?? ''}`);
  if (!found.complete)
    throw new MinicloudError(
      'MC_BACKUP_NOT_FOUND',
      `${app}/${found.id} is incomplete (no backup.json): it was interrupted or is still running`,
    );
  return found;
}

export function backupRoutes(app: Api, ctx: ApiContext): void {
  const backups = () => port(ctx.backups, 'backups');

  // The apps' status gains `backup` (last success, age, state) when this server runs backups.
  // Added here, in the API layer, so core's Apps stays as it is and a plain show() (the other
  // routes' existence check) reads no backup folders.
  app.addHook('preSerialization', async (request: FastifyRequest, reply, payload) => {
    const port = ctx.backups;
    if (!port || request.method !== 'GET' || reply.statusCode !== 200) return payload;
    const route = request.routeOptions.url;
    const brief = async (name: string): Promise<Brief> =>
      backupBrief(port, name).catch((error: Error) => {
        request.log.error({ app: name, reason: error.message }, 'backup status unreadable');
        return { lastSuccessAt: null, ageSeconds: null, state: 'failing', reason: error.message };
      });
    if (route === '/v1/apps') {
      const list = payload as { apps: { name: string }[] };
      return { ...list, apps: await Promise.all(list.apps.map(async (a) => ({ ...a, backup: await brief(a.name) }))) };
    }
    if (route === '/v1/apps/:name') {
      const one = payload as { name: string };
      return { ...one, backup: await brief(one.name) };
    }
    return payload;
  });

  app.get(
    '/v1/apps/:name/backups',
    {
      schema: {
        summary: "An app's backups (newest first, with their parts and sizes) and its backup status",
        description:
          'A backup is complete once its backup.json is written; an incomplete one (interrupted, or still ' +
          'running) is listed with `complete: false` and is never restored. `status.last` is the last ' +
          'successful backup and its age.',
        tags: TAGS,
        params: NameParams,
        response: { 200: BackupList, ...problems(403, 404, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const port = backups();
      const list = await port.list(name);
      return { app: name, status: await port.status(name), backups: list };
    },
  );

  app.post(
    '/v1/apps/:name/backups',
    {
      schema: {
        summary: 'Back the app up now (a job): its database, storage and message bus definitions',
        description: 'Answers 202 with the job at once, or with `?wait=true` 201 with the backup once it is complete.',
        tags: TAGS,
        params: NameParams,
        querystring: WaitQuery,
        body: CreateBackupBody,
        response: { ...JobOr(201, BackupSummary), ...problems(403, 404, 500, 502, 503) },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const port = backups();
      const { name } = request.params;
      await port.list(name); // 404 now rather than in the job
      const job = ctx.jobs.start('backup.create', name, async (progress) => port.create(name, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 201 });
    },
  );

  app.post(
    '/v1/apps/:name/backups/:id/restore',
    {
      schema: {
        summary: "Restore a backup into the app, or into another app with `into` (a job; replaces that app's data)",
        description:
          "Every part's size and sha256 are checked first: a damaged backup is refused whole with " +
          '422 MC_BACKUP_DAMAGED naming the part, and nothing is restored. By default what the restore ' +
          'replaces is backed up first (`previous` in the result). Admin token only: deploy tokens are refused.',
        tags: TAGS,
        params: BackupParams,
        querystring: WaitQuery,
        body: RestoreBackupBody,
        response: { ...JobOr(200, BackupRestoreResult), ...problems(403, 404, 422, 500, 502, 503) },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const port = backups();
      const { name, id } = request.params;
      const { into, backupFirst } = request.body;
      const backup = await existing(port, name, id);
      if (into !== undefined && into !== name) await port.list(into); // an unknown target: 404 now
      const target = into ?? name;
      request.log.warn({ app: name, id: backup.id, into: target }, 'restore requested');
      const job = ctx.jobs.start('backup.restore', target, async (progress) =>
        port.restore(
          name,
          backup.id,
          { ...(into !== undefined ? { into } : {}), ...(backupFirst !== undefined ? { backupFirst } : {}) },
          progress,
        ),
      );
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.post(
    '/v1/apps/:name/backups/:id/verify',
    {
      schema: {
        summary: 'Test-restore a backup (a job): checksums, the dump loaded into a scratch database, row counts',
        description:
          'Changes nothing of the app. A mismatch fails the job with MC_BACKUP_VERIFY (or MC_BACKUP_DAMAGED).',
        tags: TAGS,
        params: BackupParams,
        querystring: WaitQuery,
        body: VerifyBackupBody,
        response: { ...JobOr(200, BackupVerifyResult), ...problems(403, 404, 422, 500, 502, 503) },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const port = backups();
      const { name, id } = request.params;
      const backup = await existing(port, name, id);
      const job = ctx.jobs.start('backup.verify', name, async (progress) => port.verify(name, backup.id, progress));
      return answerJob(ctx, reply, job, request.query.wait, { status: 200 });
    },
  );

  app.get(
    '/v1/apps/:name/backups/policy',
    {
      schema: {
        summary: "The app's backup schedule, retention and test-restore setting",
        tags: TAGS,
        params: NameParams,
        response: { 200: BackupPolicy, ...problems(403, 404, 503) },
      },
    },
    async (request) => backups().getPolicy(request.params.name),
  );

  app.put(
    '/v1/apps/:name/backups/policy',
    {
      schema: {
        summary: "Change the app's backup schedule, retention or test restores (fields left out keep their values)",
        description:
          'schedule: `off`, `daily` (03:00 UTC), `daily@HH:MM` (UTC) or `every <duration>` (at least 15m); ' +
          'keep.daily / keep.weekly: how many days and ISO weeks keep their newest backup; verify: ' +
          'test-restore each scheduled backup. The newest backup is always kept.',
        tags: TAGS,
        params: NameParams,
        body: BackupPolicyInputSchema,
        response: { 200: BackupPolicy, ...problems(403, 404, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const policy = await backups().setPolicy(name, request.body);
      request.log.info({ app: name, policy }, 'backup policy changed');
      return policy;
    },
  );
}
