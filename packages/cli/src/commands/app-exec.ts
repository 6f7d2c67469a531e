import type { Command } from 'commander';
import { MinicloudError } from '@minicloud/core';
import type { ApiClient } from '../client/http.js';
import type { Io } from '../output.js';
import { printable } from '../printable.js';
import { client } from './app.js';

// `minicloud app exec NAME [--runner R] -- CMD [ARG...]`: a command in a running task of the app,
// on whichever node it runs; its output as it comes, and its exit code as the CLI's own.

type ExecLine = { task: string; node: string } | { stream: 'stdout' | 'stderr'; text: string } | { exitCode: number };

/**
 * Output to whole lines: Io prints lines. On a terminal the app's control characters are shown,
 * not obeyed (as for logs); to a pipe the text goes as it is.
 */
class LinePrinter {
  private pending = { stdout: '', stderr: '' };

  constructor(private readonly io: Io) {}

  write(stream: 'stdout' | 'stderr', text: string): void {
    const lines = (this.pending[stream] + text).split('\n');
    this.pending[stream] = lines.pop()!;
    for (const line of lines) this.print(stream, line);
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream] !== '') this.print(stream, this.pending[stream]);
      this.pending[stream] = '';
    }
  }

  private print(stream: 'stdout' | 'stderr', line: string): void {
    const text = this.io.isTTY ? printable(line) : line;
    if (stream === 'stdout') this.io.out(text);
    else this.io.err(text);
  }
}

export function registerAppExec(app: Command, io: Io, setExit: (code: number) => void): void {
  app
    .command('exec')
    .description("run a command in a running task of the app (web's first, or a runner's), on whichever node")
    .argument('<name>', 'app name')
    .argument('<command...>', 'the program and its arguments, after --: app exec NAME -- ls -l /data')
    .option('--runner <runner>', 'in this service: web (the default) or a runner of the app')
    .option('--task <task>', 'in this task, as `app show` names it: web.2')
    .option('-i, --interactive', 'with -t: keep stdin open to the command')
    .option('-t, --tty', 'with -i: give it a terminal (-it: an interactive shell: app exec -it NAME -- sh)')
    .option('--json', 'the answer as it comes: one JSON object per line')
    .addHelpText('after', '\nThe exit code is the command\'s. No shell runs unless you start one: -- sh -c "..."')
    .action(
      async (
        name: string,
        command: string[],
        flags: { runner?: string; task?: string; json?: boolean; interactive?: boolean; tty?: boolean },
        cmd: Command,
      ) => {
        if (flags.interactive !== flags.tty) {
          throw new MinicloudError('MC_BAD_REQUEST', '-i and -t go together: -it runs the command with a terminal', [
            { path: flags.interactive ? 'tty' : 'interactive', message: 'use -it' },
          ]);
        }
        const api = await client(cmd);
        const body = {
          command,
          ...(flags.runner !== undefined ? { runner: flags.runner } : {}),
          ...(flags.task !== undefined ? { task: flags.task } : {}),
        };
        const printer = new LinePrinter(io);
        if (flags.tty) return setExit(await interactiveExec(api, io, name, body));
        let exitCode: number | undefined;
        const stop = new AbortController();
        const interrupt = () => stop.abort();
        process.once('SIGINT', interrupt);
        try {
          await api.stream<ExecLine>(
            `/v1/apps/${encodeURIComponent(name)}/exec`,
            (line) => {
              if (flags.json) io.out(JSON.stringify(line));
              if ('exitCode' in line) exitCode = line.exitCode;
              else if ('stream' in line && !flags.json) printer.write(line.stream, line.text);
            },
            stop.signal,
            { method: 'POST', body },
          );
        } finally {
          process.off('SIGINT', interrupt);
          printer.flush();
        }
        if (stop.signal.aborted) return setExit(130);
        if (exitCode === undefined) {
          io.err('error: the exec ended before its exit code came (the connection or the API was cut)');
          return setExit(1);
        }
        setExit(exitCode);
      },
    );
}

/** Ctrl-D: what the terminal sends at the end of the input (the remote end has a terminal). */
const EOT = '\u0004';

/**
 * `app exec -it`: makes the exec (an authenticated call), attaches the terminal to it (an HTTP
 * upgrade), passes bytes both ways until it ends, then asks for its exit code. The local
 * terminal is put in raw mode (keys go to the remote one as typed) and restored after. The end
 * of a piped input is sent as Ctrl-D: the proxies close an upgraded connection half-closed.
 */
export async function interactiveExec(
  api: ApiClient,
  io: Io,
  name: string,
  body: Record<string, unknown>,
): Promise<number> {
  const { input, output } = io.terminal ?? { input: process.stdin, output: process.stdout };
  const size = () => (output.rows && output.columns ? { rows: output.rows, cols: output.columns } : {});
  const base = `/v1/apps/${encodeURIComponent(name)}/exec/sessions`;
  const made = (await api.request<{ id: string; attach: string }>('POST', base, { ...body, ...size() })).body;
  const socket = await api.upgrade(made.attach, { 'x-minicloud-exec-session': made.id });
  const raw = input.isTTY === true && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode!(true);
  const onInput = (chunk: Buffer | string) => socket.write(chunk);
  const onEnd = () => socket.write(EOT);
  const onResize = () => {
    const s = size();
    if (s.rows) void api.request('POST', `${base}/${made.id}/resize`, s).catch(() => undefined);
  };
  input.on('data', onInput);
  input.on('end', onEnd);
  output.on('resize', onResize);
  input.resume();
  try {
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => output.write(chunk));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  } finally {
    input.off('data', onInput);
    input.off('end', onEnd);
    output.off?.('resize', onResize);
    if (raw) input.setRawMode!(false);
    input.pause();
  }
  // The exec has ended when its stream does; the engine may take a moment to record the code.
  for (let i = 0; i < 20; i++) {
    const state = await api.get<{ running: boolean; exitCode?: number }>(`${base}/${made.id}`);
    if (!state.running) return state.exitCode ?? 1;
    await new Promise((r) => setTimeout(r, 250));
  }
  io.err('error: the terminal closed but the command still runs in the task');
  return 1;
}
