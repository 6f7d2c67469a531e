import type { Command } from 'commander';
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
    .option('--json', 'the answer as it comes: one JSON object per line')
    .addHelpText('after', '\nThe exit code is the command\'s. No shell runs unless you start one: -- sh -c "..."')
    .action(
      async (
        name: string,
        command: string[],
        flags: { runner?: string; task?: string; json?: boolean },
        cmd: Command,
      ) => {
        const api = await client(cmd);
        const body = {
          command,
          ...(flags.runner !== undefined ? { runner: flags.runner } : {}),
          ...(flags.task !== undefined ? { task: flags.task } : {}),
        };
        const printer = new LinePrinter(io);
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
