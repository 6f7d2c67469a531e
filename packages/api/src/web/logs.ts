import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { durationToNanos, parseSince, type AppLogLine, type AppStatus } from '@minicloud/core';
import type { LogsPort } from '../ports.js';
import type { ProblemDocument } from '../problem.js';

// The admin page of an app's logs: the last lines with filters (service, how many, since), and
// "Follow live", which keeps the page's response open and appends each new line as its task
// writes it. The pages run no scripts (their CSP forbids any), so following is the browser
// rendering a document that is still arriving; the API's own NDJSON stream is what the CLI reads.

type ApiAnswer<B> = { ok: true; status: number; body: B } | { ok: false; status: number; problem: ProblemDocument };
const MARK = '<!--follow-->';
/** A comment now and then keeps a quiet page open through the proxy's read timeout. */
const HEARTBEAT_MS = 25_000;

export interface LogPageTools {
  api<B>(method: 'GET', url: string): Promise<ApiAnswer<B>>;
  pageHtml(request: FastifyRequest, reply: FastifyReply, view: 'logs', data: Record<string, unknown>): string;
  render(request: FastifyRequest, reply: FastifyReply, view: 'logs', data: Record<string, unknown>): unknown;
  page: RouteShorthandOptions;
  logs: LogsPort | undefined;
}

interface LogFilters {
  runner?: string;
  tail?: string;
  since?: string;
  follow?: string;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The filters the person set, as a query for the API and for the page's own links. */
function filterQuery(f: LogFilters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.runner) q.set('runner', f.runner);
  if (f.tail) q.set('tail', f.tail);
  if (f.since) q.set('since', f.since);
  return q;
}

export function logPages(app: FastifyInstance, tools: LogPageTools): void {
  const { api, render, pageHtml } = tools;

  app.get('/apps/:name/logs', tools.page, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const filters = request.query as LogFilters;
    const query = filterQuery(filters);
    const follow = filters.follow === '1' && tools.logs !== undefined;
    const status = await api<AppStatus>('GET', `/v1/apps/${encodeURIComponent(name)}`);
    const services = status.ok ? status.body.services.map((s) => s.name.slice(name.length + 1)) : [];
    // The API checks the filters (and the app) for both modes: a bad one is said on the page.
    const answer = await api<{ lines: AppLogLine[] }>(
      'GET',
      `/v1/apps/${encodeURIComponent(name)}/logs?${follow ? new URLSearchParams({ ...Object.fromEntries(query), tail: '1' }) : query}`,
    );
    const data = {
      title: `Logs of ${name}`,
      app: name,
      services,
      runner: filters.runner ?? '',
      tail: filters.tail ?? '200',
      since: filters.since ?? '',
      stopHref: `/apps/${encodeURIComponent(name)}/logs?${query}`,
      followHref: `/apps/${encodeURIComponent(name)}/logs?${new URLSearchParams({ ...Object.fromEntries(query), follow: '1' })}`,
    };
    if (!answer.ok) {
      return render(request, reply, 'logs', {
        ...data,
        lines: [],
        failed: true,
        flash: { kind: 'error', message: answer.problem.detail, fields: answer.problem.errors ?? [] },
      });
    }
    if (!follow) return render(request, reply, 'logs', { ...data, lines: answer.body.lines });

    const [head, tail] = pageHtml(request, reply, 'logs', { ...data, follow: true, lines: [] }).split(MARK) as [
      string,
      string,
    ];
    const stop = new AbortController();
    request.raw.on('close', () => stop.abort());
    const options = {
      tail: Number(filters.tail ?? 200),
      signal: stop.signal,
      ...(filters.runner ? { runner: filters.runner } : {}),
      ...(filters.since ? { since: parseSince(filters.since, new Date(), durationToNanos)! } : {}),
    };
    const lines = tools.logs!.followLogs(name, options);
    async function* page(): AsyncGenerator<string> {
      yield head;
      const heartbeat = setInterval(() => body.push('<!-- -->'), HEARTBEAT_MS);
      try {
        for await (const l of lines) yield escape(`${l.task}@${l.node} ${l.time} ${l.line}\n`);
      } finally {
        clearInterval(heartbeat);
      }
      yield tail;
    }
    const body = Readable.from(page(), { objectMode: false });
    body.on('close', () => stop.abort());
    return reply.type('text/html; charset=utf-8').header('x-accel-buffering', 'no').send(body);
  });
}
