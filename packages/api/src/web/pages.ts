import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Handlebars from 'handlebars';
import { Type } from '@sinclair/typebox';
import { NEED_NAMES, type AppStatus, type NodeSummary, type Sensitive } from '@minicloud/core';
import type { JobRecord } from '../jobs.js';
import type { LogsPort } from '../ports.js';
import { LoginLimit } from '../login-limit.js';
import { secretMatcher } from '../same-secret.js';
import type { ProblemDocument } from '../problem.js';
import { HOST_ONLY_COOKIE, LOGIN_COOKIE, SESSION_COOKIE } from './cookies.js';
import { CsrfTokens, postedFromHere } from './csrf.js';
import { Sessions, type Flash } from './sessions.js';
import * as T from './templates.js';
import { BACKUP_RESTORE, BACKUPS_SECTION } from './backup-templates.js';
import { backupPages, backupSection } from './backups.js';
import { logPages } from './logs.js';
import { appStatsView, serverView } from './stats.js';
import type { ServerFigures } from '../ports.js';

// The admin web app: server-rendered pages over the same REST API (each form becomes one API
// request, made in-process with app.inject), so the pages validate, fail and succeed exactly as
// the API does. Cookie session after typing the admin token; every form carries a CSRF token
// bound to that session (./csrf.ts), and the log-in form one bound to the visit.

export interface WebOptions {
  adminToken: Sensitive<string>;
  /** The root instance, whose API routes the pages call. */
  root: FastifyInstance;
  sessions?: Sessions;
  /** The app logs, for the page that follows them live (app.inject cannot stream). */
  logs?: LogsPort | undefined;
  /** Failed log-ins per client address, shared with the API's bearer tokens. */
  loginLimit?: LoginLimit;
}

type View = keyof typeof VIEWS;
const VIEWS = {
  login: T.LOGIN,
  apps: T.APPS,
  appNew: T.APP_NEW,
  appPreview: T.APP_PREVIEW,
  app: T.APP,
  logs: T.LOGS,
  job: T.JOB,
  jobs: T.JOBS,
  nodes: T.NODES,
  tokens: T.TOKENS,
  backupRestore: BACKUP_RESTORE,
  error: T.ERROR,
} as const;

const FormBody = Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 65536 }), Type.Array(Type.String())]));

/** Security headers of every page: no scripts at all, no framing, forms only to this site. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

function compileViews() {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('short', (s: unknown) => (typeof s === 'string' ? s.slice(0, 12) : ''));
  hbs.registerPartial('layout', T.LAYOUT);
  hbs.registerPartial('backups', BACKUPS_SECTION);
  const out = {} as Record<View, HandlebarsTemplateDelegate>;
  for (const [name, text] of Object.entries(VIEWS)) out[name as View] = hbs.compile(text, { strict: false });
  return out;
}

type HandlebarsTemplateDelegate = (context: unknown) => string;

function field(body: unknown, name: string): string {
  const v = (body as Record<string, string | string[]> | undefined)?.[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
}

/** A field as typed, trimmed of nothing but a browser's CRLF line ends (a compose file). */
function rawField(body: unknown, name: string): string {
  const v = (body as Record<string, string | string[]> | undefined)?.[name];
  return ((Array.isArray(v) ? v[0] : v) ?? '').replace(/\r\n/g, '\n');
}

/** A whole number as a number; anything else as typed, so the API's validation names it. */
function numberish(text: string): number | string {
  return /^[0-9]{1,6}$/.test(text) ? Number(text) : text;
}

/** Only local paths: `back` never redirects off the site. */
function localPath(text: string, fallback: string): string {
  return /^\/[A-Za-z0-9/_.-]*$/.test(text) && !text.startsWith('//') ? text : fallback;
}

const enc = encodeURIComponent;

/** What the log-in cookie holds: 32 random bytes, base64url. */
const LOGIN_ID = /^[A-Za-z0-9_-]{43}$/;

export async function webPages(app: FastifyInstance, options: WebOptions): Promise<void> {
  const views = compileViews();
  const sessions = options.sessions ?? new Sessions();
  const loginLimit = options.loginLimit ?? new LoginLimit();
  const csrf = new CsrfTokens();
  const isAdminToken = secretMatcher(options.adminToken.reveal());

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 256 * 1024 });

  const sessionId = (request: FastifyRequest) => request.cookies[SESSION_COOKIE];
  const loginId = (request: FastifyRequest) => {
    const id = request.cookies[LOGIN_COOKIE];
    return id !== undefined && LOGIN_ID.test(id) ? id : undefined;
  };

  // Pages need a live session; forms also need their CSRF token (checked once the body is read):
  // the log-in form's is bound to the visit's cookie, every other form's to the session.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.auth !== 'session') return;
    if (!sessions.touch(sessionId(request))) return reply.code(303).redirect('/login');
  });
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return;
    const given = field(request.body, '_csrf');
    const ok =
      postedFromHere(request) &&
      (request.routeOptions.url === '/login'
        ? csrf.check('login', loginId(request), given)
        : csrf.check('session', sessionId(request), given));
    if (!ok) {
      request.log.warn({ path: request.routeOptions.url, ip: request.ip }, 'admin form refused: CSRF check failed');
      throw Object.assign(new Error('invalid CSRF token'), { statusCode: 403 });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.headers(PAGE_HEADERS);
    return payload;
  });

  /** A page's HTML, with the session's sign-in state, CSRF token and flash message. */
  function pageHtml(request: FastifyRequest, reply: FastifyReply, view: View, data: Record<string, unknown>): string {
    const id = sessionId(request);
    const signedIn = sessions.touch(id);
    return views[view]({
      ...data,
      signedIn,
      csrf: signedIn ? csrf.token('session', id!) : csrf.token('login', visit(request, reply)),
      flash: data['flash'] ?? sessions.takeFlash(id),
    });
  }

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: View,
    data: Record<string, unknown>,
    status = 200,
  ) {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(pageHtml(request, reply, view, data));
  }

  /** The log-in page visit's id, from its cookie or made now (and set). */
  function visit(request: FastifyRequest, reply: FastifyReply): string {
    const known = loginId(request);
    if (known) return known;
    const id = randomBytes(32).toString('base64url');
    reply.setCookie(LOGIN_COOKIE, id, { ...HOST_ONLY_COOKIE, maxAge: 60 * 60 });
    return id;
  }

  function flash(request: FastifyRequest, value: Flash): void {
    sessions.setFlash(sessionId(request), value);
  }

  function problemFlash(problem: ProblemDocument): Flash {
    return { kind: 'error', message: problem.detail, ...(problem.errors ? { fields: problem.errors } : {}) };
  }

  type Answer<B> = { ok: true; status: number; body: B } | { ok: false; status: number; problem: ProblemDocument };

  /** One API request with the admin token, in-process. */
  async function api<B>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) {
    const res = await options.root.inject({
      method,
      url,
      headers: { authorization: `Bearer ${options.adminToken.reveal()}` },
      ...(payload ? { payload } : {}),
    });
    const body = res.body ? (JSON.parse(res.body) as unknown) : undefined;
    if (res.statusCode >= 400)
      return { ok: false, status: res.statusCode, problem: body as ProblemDocument } as Answer<B>;
    return { ok: true, status: res.statusCode, body: body as B } as Answer<B>;
  }

  /** After a form: to the job's page when one started, else back with a message. */
  function afterJob(request: FastifyRequest, reply: FastifyReply, answer: Answer<JobRecord>, back: string) {
    if (answer.ok) return reply.code(303).redirect(`/jobs/${answer.body.id}`);
    flash(request, problemFlash(answer.problem));
    return reply.code(303).redirect(back);
  }

  function afterChange(request: FastifyRequest, reply: FastifyReply, answer: Answer<unknown>, ok: Flash, back: string) {
    flash(request, answer.ok ? ok : problemFlash(answer.problem));
    return reply.code(303).redirect(back);
  }

  const page = { config: { auth: 'session' as const }, schema: { hide: true } };
  const form = { config: { auth: 'session' as const }, schema: { hide: true, body: FormBody } };
  const open = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/static/admin.css', open, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(T.CSS),
  );

  app.get('/', open, async (_request, reply) => reply.code(303).redirect('/apps'));

  app.get('/login', open, async (request, reply) => {
    if (sessions.touch(sessionId(request))) return reply.code(303).redirect('/apps');
    return render(request, reply, 'login', { title: 'Log in' });
  });

  app.post('/login', { config: { auth: 'public' }, schema: { hide: true, body: FormBody } }, async (request, reply) => {
    const wait = loginLimit.retryAfter(request.ip);
    if (wait > 0) {
      request.log.warn({ ip: request.ip, reason: 'too many failed log-ins' }, 'admin log-in refused');
      const message = `Too many failed log-ins from your address. Try again in ${wait} seconds.`;
      reply.header('retry-after', String(wait));
      return render(request, reply, 'login', { title: 'Log in', flash: { kind: 'error', message } }, 429);
    }
    const given = field(request.body, 'token');
    if (!isAdminToken(given)) {
      if (given !== '') loginLimit.fail(request.ip);
      request.log.warn(
        { ip: request.ip, reason: given === '' ? 'missing token' : 'wrong token' },
        'admin log-in refused',
      );
      const message = given === '' ? 'Type the admin token.' : 'That is not the admin token.';
      return render(request, reply, 'login', { title: 'Log in', flash: { kind: 'error', message } }, 401);
    }
    // A new session id, never one the browser brought (session fixation); the visit is over.
    sessions.destroy(sessionId(request));
    const id = sessions.create();
    reply.setCookie(SESSION_COOKIE, id, HOST_ONLY_COOKIE);
    reply.clearCookie(LOGIN_COOKIE, HOST_ONLY_COOKIE);
    request.log.info({ ip: request.ip }, 'admin logged in');
    return reply.code(303).redirect('/apps');
  });

  app.post('/logout', form, async (request, reply) => {
    sessions.destroy(sessionId(request));
    reply.clearCookie(SESSION_COOKIE, HOST_ONLY_COOKIE);
    return reply.code(303).redirect('/login');
  });

  // ---- apps ----

  app.get('/apps', page, async (request, reply) => {
    const answer = await api<{ apps: unknown[] }>('GET', '/v1/apps');
    // The dashboard's last events: changes, job results and alerts (none without an event log).
    const recent = await api<{ events: unknown[] }>('GET', '/v1/events?limit=15');
    const events = recent.ok ? recent.body.events : [];
    // The whole server's memory and disk (none when stats are not configured or fail).
    const figures = await api<ServerFigures>('GET', '/v1/server');
    const server = figures.ok ? serverView(figures.body) : undefined;
    // Which shared services run and which are idle (none when the lifecycle cannot tell).
    const shared = await api<{ services: unknown[] }>('GET', '/v1/services');
    const services = shared.ok ? shared.body.services : [];
    // A filesystem low or critical is a banner on top (none when disk space is not configured).
    const disk = await api<{ filesystems: { level: string }[] }>('GET', '/v1/platform/disk');
    const diskWarnings = disk.ok ? disk.body.filesystems.filter((f) => f.level !== 'ok') : [];
    if (!answer.ok)
      return render(request, reply, 'apps', {
        title: 'Apps',
        apps: [],
        events,
        server,
        services,
        diskWarnings,
        flash: problemFlash(answer.problem),
      });
    return render(request, reply, 'apps', {
      title: 'Apps',
      apps: answer.body.apps,
      events,
      server,
      services,
      diskWarnings,
      refresh: 10,
    });
  });

  app.get('/apps/new', page, async (request, reply) => render(request, reply, 'appNew', { title: 'Add an app' }));

  app.post('/apps/new', form, async (request, reply) => {
    const image = field(request.body, 'image');
    const answer = await api<Record<string, unknown>>('POST', '/v1/images/manifest', { image });
    if (!answer.ok)
      return render(request, reply, 'appNew', { title: 'Add an app', image, flash: problemFlash(answer.problem) }, 400);
    return render(request, reply, 'appPreview', { title: 'Deploy?', ...answer.body });
  });

  app.post('/apps', form, async (request, reply) => {
    const body = request.body;
    const name = field(body, 'name');
    const domains = field(body, 'domains')
      .split(/[\s,]+/)
      .filter(Boolean);
    const replicas = field(body, 'replicas');
    const payload = {
      image: field(body, 'image'),
      ...(name ? { name } : {}),
      ...(domains.length > 0 ? { domains } : {}),
      ...(replicas ? { replicas: numberish(replicas) } : {}),
    };
    const answer = await api<JobRecord>('POST', '/v1/apps', payload);
    if (answer.ok) return reply.code(303).redirect(`/jobs/${answer.body.id}`);
    return render(
      request,
      reply,
      'appNew',
      { title: 'Add an app', image: payload.image, flash: problemFlash(answer.problem) },
      400,
    );
  });

  // An app from a compose file: the text as typed (a textarea keeps its line breaks).
  app.post('/apps/compose', form, async (request, reply) => {
    const name = field(request.body, 'name');
    const compose = rawField(request.body, 'compose');
    const answer = await api<JobRecord>('POST', '/v1/apps', { name, compose });
    if (answer.ok) return reply.code(303).redirect(`/jobs/${answer.body.id}`);
    return render(
      request,
      reply,
      'appNew',
      { title: 'Add an app', name, compose, flash: problemFlash(answer.problem) },
      400,
    );
  });

  app.get('/apps/:name', page, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const answer = await api<AppStatus>('GET', `/v1/apps/${enc(name)}`);
    if (!answer.ok)
      return render(
        request,
        reply,
        'error',
        { title: 'App', heading: name, message: answer.problem.detail, back: '/apps' },
        answer.status,
      );
    const tokens = await api<{ tokens: unknown[] }>('GET', `/v1/tokens?app=${enc(name)}`);
    const webhook = await api<{ enabled: boolean }>('GET', `/v1/apps/${enc(name)}/webhook`);
    const stats = await api<Parameters<typeof appStatsView>[0]>('GET', `/v1/apps/${enc(name)}/stats`);
    const composeFile =
      answer.body.source?.kind === 'compose'
        ? await api<{ compose: string }>('GET', `/v1/apps/${enc(name)}/compose`)
        : undefined;
    return render(request, reply, 'app', {
      title: name,
      app: answer.body,
      missingNeeds: NEED_NAMES.filter((n) => !answer.body.needs.includes(n)),
      tokens: tokens.ok ? tokens.body.tokens : [],
      webhook: webhook.ok ? webhook.body : { enabled: false },
      backups: await backupSection({ api }, name),
      stats: stats.ok ? appStatsView(stats.body) : undefined,
      composeFile: composeFile?.ok ? composeFile.body.compose : undefined,
      refresh: answer.body.health === 'starting' ? 5 : undefined,
    });
  });

  logPages(app, { api, pageHtml, render, page, logs: options.logs });

  app.post('/apps/:name/restart', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const answer = await api<JobRecord>('POST', `/v1/apps/${enc(name)}/restart`, {});
    return afterJob(request, reply, answer, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/update', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const image = field(request.body, 'image');
    const replicas = field(request.body, 'replicas');
    const compose = rawField(request.body, 'compose');
    const payload = compose
      ? { compose }
      : { ...(image ? { image } : {}), ...(replicas ? { replicas: numberish(replicas) } : {}) };
    return afterJob(
      request,
      reply,
      await api<JobRecord>('PATCH', `/v1/apps/${enc(name)}`, payload),
      `/apps/${enc(name)}`,
    );
  });

  app.post('/apps/:name/needs', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const answer = await api<JobRecord>('POST', `/v1/apps/${enc(name)}/needs`, { need: field(request.body, 'need') });
    return afterJob(request, reply, answer, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/needs/:need/detach', form, async (request, reply) => {
    const { name, need } = request.params as { name: string; need: string };
    const purge = field(request.body, 'purge') === 'true';
    const answer = await api<JobRecord>('DELETE', `/v1/apps/${enc(name)}/needs/${enc(need)}?purge=${purge}`);
    return afterJob(request, reply, answer, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/domains', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const domain = field(request.body, 'domain');
    const certificatePem = field(request.body, 'certificatePem');
    const privateKeyPem = field(request.body, 'privateKeyPem');
    const payload = {
      domain,
      ...(certificatePem || privateKeyPem ? { certificate: { certificatePem, privateKeyPem } } : {}),
    };
    const answer = await api('POST', `/v1/apps/${enc(name)}/domains`, payload);
    return afterChange(
      request,
      reply,
      answer,
      { kind: 'ok', message: `${domain} now routes to ${name}.` },
      `/apps/${enc(name)}`,
    );
  });

  app.post('/apps/:name/domains/:domain/remove', form, async (request, reply) => {
    const { name, domain } = request.params as { name: string; domain: string };
    const answer = await api('DELETE', `/v1/apps/${enc(name)}/domains/${enc(domain)}`);
    return afterChange(
      request,
      reply,
      answer,
      { kind: 'ok', message: `${domain} no longer routes to ${name}.` },
      `/apps/${enc(name)}`,
    );
  });

  app.post('/apps/:name/webhook', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const answer = await api<{ url: string }>('PUT', `/v1/apps/${enc(name)}/webhook`);
    const ok: Flash = answer.ok
      ? {
          kind: 'ok',
          message: `Webhook made: give this URL to Docker Hub (Webhooks) so a push of ${name}'s image redeploys it.`,
          secret: { label: 'Webhook URL', value: answer.body.url },
        }
      : { kind: 'ok', message: '' };
    return afterChange(request, reply, answer, ok, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/webhook/remove', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const answer = await api('DELETE', `/v1/apps/${enc(name)}/webhook`);
    return afterChange(request, reply, answer, { kind: 'ok', message: 'Webhook removed.' }, `/apps/${enc(name)}`);
  });

  app.post('/apps/:name/remove', form, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    if (field(request.body, 'confirm') !== name) {
      flash(request, {
        kind: 'error',
        message: `Type the app's name (${name}) to remove it.`,
        fields: [{ field: 'confirm', message: `must be ${name}` }],
      });
      return reply.code(303).redirect(`/apps/${enc(name)}`);
    }
    const purge = field(request.body, 'purge') === 'true';
    return afterJob(
      request,
      reply,
      await api<JobRecord>('DELETE', `/v1/apps/${enc(name)}?purge=${purge}`),
      `/apps/${enc(name)}`,
    );
  });

  backupPages(app, { api, render, afterJob, afterChange, flash, page, form });

  // ---- jobs ----

  app.get('/jobs', page, async (request, reply) => {
    const answer = await api<{ jobs: JobRecord[] }>('GET', '/v1/jobs');
    return render(request, reply, 'jobs', { title: 'Jobs', jobs: answer.ok ? answer.body.jobs : [] });
  });

  app.get('/jobs/:id', page, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const answer = await api<JobRecord>('GET', `/v1/jobs/${enc(id)}?wait=1`);
    if (!answer.ok)
      return render(
        request,
        reply,
        'error',
        { title: 'Job', heading: 'Job', message: answer.problem.detail, back: '/jobs' },
        answer.status,
      );
    const job = answer.body;
    const running = job.state === 'queued' || job.state === 'running';
    const result = job.result as { name?: string; app?: { name?: string } } | undefined;
    const appName = result?.name ?? result?.app?.name ?? (job.kind !== 'app.add' ? job.app : undefined);
    let next: string | undefined;
    if (job.state === 'succeeded')
      next = job.kind === 'app.remove' ? '/apps' : appName ? `/apps/${enc(appName)}` : '/apps';
    if (job.state === 'failed' || job.state === 'interrupted')
      next = job.kind === 'app.add' ? '/apps/new' : appName ? `/apps/${enc(appName)}` : '/apps';
    return render(request, reply, 'job', { title: job.kind, job, running, next, refresh: running ? 2 : undefined });
  });

  // ---- nodes ----

  app.get('/nodes', page, async (request, reply) => {
    const answer = await api<{ nodes: NodeSummary[] }>('GET', '/v1/nodes');
    if (!answer.ok)
      return render(request, reply, 'nodes', { title: 'Nodes', nodes: [], flash: problemFlash(answer.problem) });
    return render(request, reply, 'nodes', { title: 'Nodes', nodes: answer.body.nodes });
  });

  app.post('/nodes/join-command', form, async (request, reply) => {
    const answer = await api<{ command: string }>('GET', '/v1/nodes/join-command');
    const ok: Flash = answer.ok
      ? {
          kind: 'ok',
          message: 'Run this on the new node, as root.',
          secret: { label: 'Join command', value: answer.body.command },
        }
      : { kind: 'ok', message: '' };
    return afterChange(request, reply, answer, ok, '/nodes');
  });

  app.post('/nodes/labels', form, async (request, reply) => {
    const node = field(request.body, 'node');
    const labels: Record<string, string | null> = {};
    for (const pair of field(request.body, 'labels').split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        flash(request, {
          kind: 'error',
          message: `"${pair}" is not key=value (or key= to remove).`,
          fields: [{ field: 'labels', message: 'must be key=value pairs' }],
        });
        return reply.code(303).redirect('/nodes');
      }
      labels[pair.slice(0, eq)] = eq === pair.length - 1 ? null : pair.slice(eq + 1);
    }
    const answer = await api('PATCH', `/v1/nodes/${enc(node)}`, { labels });
    return afterChange(request, reply, answer, { kind: 'ok', message: 'Labels changed.' }, '/nodes');
  });

  app.post('/nodes/:id', form, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const availability = field(request.body, 'availability');
    const answer = await api('PATCH', `/v1/nodes/${enc(id)}`, { availability });
    const message = availability === 'drain' ? 'Node drained: its tasks move to other nodes.' : 'Node active again.';
    return afterChange(request, reply, answer, { kind: 'ok', message }, '/nodes');
  });

  // ---- tokens ----

  app.get('/tokens', page, async (request, reply) => {
    const answer = await api<{ tokens: unknown[] }>('GET', '/v1/tokens');
    return render(request, reply, 'tokens', { title: 'Deploy tokens', tokens: answer.ok ? answer.body.tokens : [] });
  });

  app.post('/tokens', form, async (request, reply) => {
    const appName = field(request.body, 'app');
    const description = field(request.body, 'description');
    const answer = await api<{ token: string; id: string }>('POST', '/v1/tokens', { app: appName, description });
    const ok: Flash = answer.ok
      ? {
          kind: 'ok',
          message: `Deploy token ${answer.body.id} made: it can only update ${appName}.`,
          secret: { label: 'Token', value: answer.body.token },
        }
      : { kind: 'ok', message: '' };
    return afterChange(request, reply, answer, ok, `/apps/${enc(appName)}`);
  });

  app.post('/tokens/:id/revoke', form, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const answer = await api('DELETE', `/v1/tokens/${enc(id)}`);
    const back = localPath(field(request.body, 'back'), '/tokens');
    return afterChange(request, reply, answer, { kind: 'ok', message: `Token ${id} revoked.` }, back);
  });

  // Errors on pages are pages: an expired form, a bad request, or a fault on our side.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'admin page failed');
    const message =
      status === 403
        ? 'This form has expired or did not come from this site. Go back, reload the page and try again.'
        : status === 500
          ? 'Something went wrong on the server; the API logs have the details.'
          : error.message;
    return render(
      request,
      reply,
      'error',
      { title: 'Error', heading: 'That did not work', message, back: '/apps' },
      status,
    );
  });
}
