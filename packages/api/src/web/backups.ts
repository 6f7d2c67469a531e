import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { JobRecord } from '../jobs.js';
import type { BackupSummary } from '../ports.js';
import type { ProblemDocument } from '../problem.js';
import type { Flash } from './sessions.js';

// The admin pages' backups (issue 7): the Backups section of an app's page, "Back up now",
// "Verify", "Restore" behind a confirmation page (type the target's name), and the schedule.
// Like every page, each form is one API request made in-process, so it fails as the API does.

type ApiAnswer<B> = { ok: true; status: number; body: B } | { ok: false; status: number; problem: ProblemDocument };

/** What ./pages.ts lends these pages: its in-process API client, rendering and redirects. */
export interface BackupPageTools {
  api<B>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<ApiAnswer<B>>;
  render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: 'backupRestore' | 'error',
    data: Record<string, unknown>,
    status?: number,
  ): unknown;
  afterJob(request: FastifyRequest, reply: FastifyReply, answer: ApiAnswer<JobRecord>, back: string): unknown;
  afterChange(
    request: FastifyRequest,
    reply: FastifyReply,
    answer: ApiAnswer<unknown>,
    ok: Flash,
    back: string,
  ): unknown;
  flash(request: FastifyRequest, value: Flash): void;
  page: RouteShorthandOptions;
  form: RouteShorthandOptions;
}

interface BackupStatusBody {
  state: 'ok' | 'stale' | 'failing' | 'off';
  schedule: string;
  last?: { id: string; at: string; ageSeconds: number; bytes: number };
  lastFailure?: { at: string; reason: string; code?: string };
  lastVerify?: { at: string; id: string; ok: boolean; reason?: string };
}

const enc = encodeURIComponent;

function field(body: unknown, name: string): string {
  const v = (body as Record<string, string | string[]> | undefined)?.[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
}

/** 3 KiB, 1.2 MiB: sizes a person reads. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[u]}`;
}

/** 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function withSizes(b: BackupSummary) {
  return { ...b, size: humanBytes(b.bytes), parts: b.parts.map((p) => ({ ...p, size: humanBytes(p.bytes) })) };
}

/** What is wrong, loudly: a failed backup, a failed test restore, no recent backup. */
function alerts(status: BackupStatusBody): { title: string; message: string }[] {
  const out: { title: string; message: string }[] = [];
  if (status.lastFailure) {
    const code = status.lastFailure.code ? ` (${status.lastFailure.code})` : '';
    out.push({
      title: 'The last backup FAILED.',
      message: `${status.lastFailure.at}: ${status.lastFailure.reason}${code}`,
    });
  }
  if (status.lastVerify && !status.lastVerify.ok) {
    out.push({
      title: 'The last test restore FAILED.',
      message: `${status.lastVerify.id}: ${status.lastVerify.reason ?? 'no reason given'}`,
    });
  }
  if (status.state === 'stale') {
    out.push({
      title: 'No recent backup.',
      message: status.last
        ? `The last successful backup is ${humanAge(status.last.ageSeconds)} old.`
        : 'This app has never been backed up.',
    });
  }
  return out;
}

/** The Backups section of an app's page: its backups, status and policy, or why they cannot be shown. */
export async function backupSection(
  tools: Pick<BackupPageTools, 'api'>,
  app: string,
): Promise<Record<string, unknown>> {
  const answer = await tools.api<{ status: BackupStatusBody; backups: BackupSummary[] }>(
    'GET',
    `/v1/apps/${enc(app)}/backups`,
  );
  if (!answer.ok) {
    return answer.status === 503
      ? { unavailable: `Backups are not available on this server: ${answer.problem.detail}` }
      : { error: `${answer.problem.detail} (${answer.problem.code})` };
  }
  const { status, backups } = answer.body;
  const policy = await tools.api<unknown>('GET', `/v1/apps/${enc(app)}/backups/policy`);
  return {
    status,
    list: backups.map(withSizes),
    alerts: alerts(status),
    stateClass: { ok: 'succeeded', stale: 'degraded', failing: 'failed', off: 'queued' }[status.state],
    ...(status.last ? { lastAge: humanAge(status.last.ageSeconds), lastSize: humanBytes(status.last.bytes) } : {}),
    ...(policy.ok ? { policy: policy.body } : {}),
  };
}

export function backupPages(app: FastifyInstance, tools: BackupPageTools): void {
  const { api, render, afterJob, afterChange, flash, page, form } = tools;
  const params = (request: FastifyRequest) => request.params as { name: string; id: string };

  app.post('/apps/:name/backups', form, async (request, reply) => {
    const { name } = params(request);
    const answer = await api<JobRecord>('POST', `/v1/apps/${enc(name)}/backups`, {});
    return afterJob(request, reply, answer, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/backups/:id/verify', form, async (request, reply) => {
    const { name, id } = params(request);
    const answer = await api<JobRecord>('POST', `/v1/apps/${enc(name)}/backups/${enc(id)}/verify`, {});
    return afterJob(request, reply, answer, `/apps/${enc(name)}`);
  });

  // The confirmation step: what the backup holds, which app's data it replaces.
  app.get('/apps/:name/backups/:id/restore', page, async (request, reply) => {
    const { name, id } = params(request);
    const list = await api<{ backups: BackupSummary[] }>('GET', `/v1/apps/${enc(name)}/backups`);
    const backup = list.ok ? list.body.backups.find((b) => b.id === id && b.complete) : undefined;
    if (!backup) {
      const message = list.ok ? `${name} has no complete backup ${id}` : list.problem.detail;
      return render(
        request,
        reply,
        'error',
        { title: 'Restore', heading: `Restore ${name}`, message, back: `/apps/${enc(name)}` },
        list.ok ? 404 : list.status,
      );
    }
    const apps = await api<{ apps: { name: string }[] }>('GET', '/v1/apps');
    const others = apps.ok ? apps.body.apps.map((a) => a.name).filter((n) => n !== name) : [];
    const targets = [{ name, self: true, selected: true }, ...others.map((n) => ({ name: n }))];
    return render(request, reply, 'backupRestore', {
      title: `Restore ${name}`,
      app: name,
      backup: withSizes(backup),
      targets,
    });
  });

  app.post('/apps/:name/backups/:id/restore', form, async (request, reply) => {
    const { name, id } = params(request);
    const back = `/apps/${enc(name)}/backups/${enc(id)}/restore`;
    const into = field(request.body, 'into') || name;
    if (field(request.body, 'confirm') !== into) {
      flash(request, {
        kind: 'error',
        message: `Type the name of the app whose data is replaced (${into}) to restore.`,
        fields: [{ field: 'confirm', message: `must be ${into}` }],
      });
      return reply.code(303).redirect(back);
    }
    const payload = { ...(into !== name ? { into } : {}), backupFirst: field(request.body, 'backupFirst') === 'true' };
    const answer = await api<JobRecord>('POST', `/v1/apps/${enc(name)}/backups/${enc(id)}/restore`, payload);
    return afterJob(request, reply, answer, back);
  });

  app.post('/apps/:name/backups/policy', form, async (request, reply) => {
    const { name } = params(request);
    const count = (text: string) => (/^[0-9]{1,6}$/.test(text) ? Number(text) : text);
    const daily = field(request.body, 'keepDaily');
    const weekly = field(request.body, 'keepWeekly');
    const payload = {
      schedule: field(request.body, 'schedule'),
      keep: { ...(daily ? { daily: count(daily) } : {}), ...(weekly ? { weekly: count(weekly) } : {}) },
      verify: field(request.body, 'verify') === 'true',
    };
    const answer = await api('PUT', `/v1/apps/${enc(name)}/backups/policy`, payload);
    return afterChange(request, reply, answer, { kind: 'ok', message: 'Backup policy saved.' }, `/apps/${enc(name)}`);
  });
}
