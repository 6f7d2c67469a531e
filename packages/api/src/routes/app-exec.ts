import { assertNotRemoving, type ExecEvent } from '@minicloud/core';
import { port, type Api, type ApiContext } from '../context.js';
import { ExecBody, ExecLine, NameParams, problems } from '../schemas.js';
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

export function appExecRoutes(app: Api, ctx: ApiContext): void {
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
}
