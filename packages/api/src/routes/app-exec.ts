import { assertNotRemoving, MinicloudError, type ExecEvent } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import { ATTACH_PATH } from '../exec-attach.js';
import type { ExecSessions } from '../exec-sessions.js';
import {
  ExecBody,
  ExecLine,
  ExecSessionBody,
  ExecSessionParams,
  ExecSessionReply,
  ExecSessionState,
  NameParams,
  problems,
  ResizeBody,
} from '../schemas.js';
import { sendNdjson } from './ndjson.js';

// `app exec`: a command in a running task of the app, on whichever node, its output streamed as it
// is written and its exit code last. An `app` route: a deploy token may run commands in its own
// app (as `docker exec` in the container it deploys), never in another app or the platform's.

/** The NDJSON lines of an exec: the core events without their kind tags. */
async function* execLines(events: AsyncIterable<ExecEvent>) {
  for await (const e of events) {
    if (e.kind === 'started') yield { task: e.task, node: e.node };
    else if (e.kind === 'output') yield { stream: e.stream, text: e.text };
    else yield { exitCode: e.exitCode };
  }
}

function noSession(id: string): MinicloudError {
  return new MinicloudError('MC_NOT_FOUND', `no exec session ${id.slice(0, 6)}... of this app`);
}

export function appExecRoutes(app: Api, ctx: ApiContext, sessions: ExecSessions): void {
  app.post(
    '/v1/apps/:name/exec',
    {
      schema: {
        summary: 'Run a command in a running task of the app, on whichever node it runs (no terminal)',
        description:
          'The answer streams one JSON object per line (`application/x-ndjson`; blank lines are keep-alives): ' +
          'first `{task, node}`, then `{stream, text}` as the command writes, last `{exitCode}`. The command runs ' +
          "as the image's user, without a shell unless it starts one. If the client goes away the stream " +
          'stops; the command runs on to its end.',
        tags: ['apps'],
        params: NameParams,
        body: ExecBody,
        response: { 200: ExecLine, ...problems(400, 403, 404, 409, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request, reply) => {
      const { name } = request.params;
      assertNotRemoving(await port(ctx.apps, 'the app lifecycle').show(name));
      const exec = port(ctx.exec, 'exec');
      const stop = new AbortController();
      const { command, runner, task } = request.body;
      const options = { ...(runner !== undefined ? { runner } : {}), ...(task !== undefined ? { task } : {}) };
      const events = exec.exec(name, command, { ...options, signal: stop.signal });
      return sendNdjson(reply, execLines(events), stop);
    },
  );

  app.post(
    '/v1/apps/:name/exec/sessions',
    {
      schema: {
        summary: 'Make an exec with stdin and a terminal (`app exec -it`), to attach to next',
        description:
          `Answers the session's id; then \`POST ${ATTACH_PATH}\` with \`Upgrade: tcp\` and the id in ` +
          'X-Minicloud-Exec-Session turns that connection into the terminal (raw bytes both ways), within 30 s, once.',
        tags: ['apps'],
        params: NameParams,
        body: ExecSessionBody,
        response: { 201: ExecSessionReply, ...problems(400, 403, 404, 409, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request, reply) => {
      const { name } = request.params;
      assertNotRemoving(await port(ctx.apps, 'the app lifecycle').show(name));
      const { command, runner, task, rows, cols } = request.body;
      const options = { ...(runner !== undefined ? { runner } : {}), ...(task !== undefined ? { task } : {}) };
      const session = await port(ctx.exec, 'exec').open(name, command, options);
      const id = sessions.add(name, session);
      // The size before the first byte: a full-screen program starts at the right size.
      if (rows !== undefined && cols !== undefined) session.resize(rows, cols).catch(() => undefined);
      return reply.code(201).send({ id, task: session.task, node: session.node, attach: ATTACH_PATH });
    },
  );

  app.get(
    '/v1/apps/:name/exec/sessions/:id',
    {
      schema: {
        summary: 'Whether an attached exec still runs, and its exit code once it has ended',
        tags: ['apps'],
        params: ExecSessionParams,
        response: { 200: ExecSessionState, ...problems(403, 404, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request) => {
      const { name, id } = request.params;
      const session = sessions.get(name, id);
      if (!session) throw noSession(id);
      const exitCode = await session.exitCode();
      return exitCode === undefined ? { running: true } : { running: false, exitCode };
    },
  );

  app.post(
    '/v1/apps/:name/exec/sessions/:id/resize',
    {
      schema: {
        summary: "Resize an exec's terminal (the client's window changed)",
        tags: ['apps'],
        params: ExecSessionParams,
        body: ResizeBody,
        response: { 204: { type: 'null', description: 'Resized' }, ...problems(400, 403, 404, 502, 503) },
      },
      config: { auth: 'app' },
    },
    async (request, reply) => {
      const { name, id } = request.params;
      const session = sessions.get(name, id);
      if (!session) throw noSession(id);
      await session.resize(request.body.rows, request.body.cols);
      return reply.code(204).send();
    },
  );
}
