import type { Duplex, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { FrameReader } from '../engine/frames.js';
import type { NodeEngines } from '../nodes/engines.js';
import { appServices } from './app-services.js';

// `app exec`: a command in a running task of an app, on whichever node the task runs, through that
// node's agent (the swarm relays logs through the manager, but not exec). The output streams as
// the command writes it; the exit code comes last.

export const EXEC_MAX_ARGS = 64;
export const EXEC_MAX_ARG_LENGTH = 4096;

export interface ExecTarget {
  /** `web.1`, `worker.2`: the task as `app logs` names it. */
  task: string;
  /** The node's hostname. */
  node: string;
  nodeId: string;
  containerId: string;
}

export type ExecEvent =
  | ({ kind: 'started' } & Pick<ExecTarget, 'task' | 'node'>)
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'exit'; exitCode: number };

export interface AppExecOptions {
  /** The service: `web` (the default) or a runner's name. */
  runner?: string;
  /** One task as `app logs` and `app show` name it (`web.2`); default the service's first running one. */
  task?: string;
  signal?: AbortSignal;
}

interface TaskRow {
  Slot?: number;
  NodeID?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

/** The command as the API and CLI take it: 1 to 64 arguments, none empty-named or with NUL. */
export function checkCommand(command: unknown): string[] {
  const bad = (message: string) =>
    new MinicloudError('MC_SETTINGS_INVALID', `command: ${message}`, [{ path: 'command', message }]);
  if (!Array.isArray(command) || command.length === 0) throw bad('must be a list of at least one argument');
  if (command.length > EXEC_MAX_ARGS) throw bad(`must have at most ${EXEC_MAX_ARGS} arguments`);
  command.forEach((arg, i) => {
    if (typeof arg !== 'string') throw bad(`argument ${i} must be a string`);
    if (arg.length > EXEC_MAX_ARG_LENGTH) throw bad(`argument ${i} is longer than ${EXEC_MAX_ARG_LENGTH} characters`);
    if (arg.includes('\0')) throw bad(`argument ${i} holds a NUL character`);
  });
  if (command[0] === '') throw bad('the program (argument 0) must not be empty');
  return command as string[];
}

/** `web.2` -> service `web`, slot 2; undefined when it is not of that shape. */
export function parseTaskName(task: string): { service: string; slot: number } | undefined {
  const m = /^([a-z][a-z0-9-]*)\.([1-9][0-9]{0,5})$/.exec(task);
  return m ? { service: m[1]!, slot: Number(m[2]) } : undefined;
}

/** The task to run in: the one named, else the running task of the service with the lowest slot. */
export async function execTarget(
  docker: Docker,
  app: string,
  options: Pick<AppExecOptions, 'runner' | 'task'>,
): Promise<ExecTarget> {
  const named = options.task === undefined ? undefined : parseTaskName(options.task);
  if (options.task !== undefined && !named) {
    throw new MinicloudError('MC_SETTINGS_INVALID', `task "${options.task}" is not a task name such as web.1`, [
      { path: 'task', message: 'must be SERVICE.SLOT, as `app show` lists them (web.1, worker.2)' },
    ]);
  }
  const runner = named?.service ?? options.runner;
  const all = await appServices(docker, app, runner);
  // By default the routed service: `web`, or a compose app's routed one (its role label says so).
  const service = runner === undefined ? (all.find((s) => s.short === 'web' || s.routed) ?? all[0]) : all[0];
  if (!service) throw new MinicloudError('MC_TASK_NOT_RUNNING', `app ${app} runs no service`);
  const tasks = (await docker.listTasks({
    filters: { service: [service.id], 'desired-state': ['running'] },
  })) as TaskRow[];
  const running = tasks
    .filter((t) => t.Status?.State === 'running' && t.Status.ContainerStatus?.ContainerID && t.NodeID)
    .filter((t) => !named || t.Slot === named.slot)
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
  const task = running[0];
  if (!task) {
    const which = named ? `task ${options.task} is not running` : `${service.short} has no running task`;
    throw new MinicloudError('MC_TASK_NOT_RUNNING', `${app}: ${which}: see \`minicloud app show ${app}\``);
  }
  const node = (await docker
    .getNode(task.NodeID!)
    .inspect()
    .catch(() => undefined)) as { Description?: { Hostname?: string } } | undefined;
  return {
    task: task.Slot !== undefined ? `${service.short}.${task.Slot}` : service.short,
    node: node?.Description?.Hostname ?? task.NodeID!,
    nodeId: task.NodeID!,
    containerId: task.Status!.ContainerStatus!.ContainerID!,
  };
}

function execError(app: string, what: string, error: unknown): MinicloudError {
  if (error instanceof MinicloudError) return error;
  return new MinicloudError('MC_ENGINE', `exec in ${app}: ${what}: ${engineMessage(error)}`, [], { cause: error });
}

/** The exec made (not started) in the task execTarget() chooses, on that task's node's engine. */
async function createExec(
  docker: Docker,
  engines: NodeEngines,
  app: string,
  command: string[],
  options: AppExecOptions,
  io: { stdin: boolean; tty: boolean },
): Promise<{ target: ExecTarget; exec: Docker.Exec }> {
  checkCommand(command);
  const target = await execTarget(docker, app, options);
  const engine = await engines.engine(target.nodeId);
  const exec = await engine
    .getContainer(target.containerId)
    .exec({
      Cmd: command,
      AttachStdin: io.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: io.tty,
      ...(io.tty ? { Env: ['TERM=xterm-256color'] } : {}),
    })
    .catch((error: unknown) => {
      throw execError(app, `create the exec in ${target.task} on ${target.node}`, error);
    });
  return { target, exec };
}

/**
 * Runs `command` in the app's task without a terminal: `started` (which task, which node), then
 * its output as it comes (UTF-8 text, stdout and stderr apart), then `exit` with its code. An
 * abort stops the stream; the command itself runs on to its end, as `docker exec` would.
 */
export async function* execInApp(
  docker: Docker,
  engines: NodeEngines,
  app: string,
  command: string[],
  options: AppExecOptions = {},
): AsyncGenerator<ExecEvent> {
  const { target, exec } = await createExec(docker, engines, app, command, options, { stdin: false, tty: false });
  const stream = (await exec.start({ hijack: true, stdin: false }).catch((error: unknown) => {
    throw execError(app, `start the exec in ${target.task}`, error);
  })) as Duplex | Readable;
  yield { kind: 'started', task: target.task, node: target.node };

  const stop = () => stream.destroy();
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  const frames = new FrameReader();
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const frame of frames.push(chunk)) {
        if (frame.stream === 'stdin') continue;
        const text = decoders[frame.stream].write(frame.payload);
        if (text) yield { kind: 'output', stream: frame.stream, text };
      }
    }
  } catch (error) {
    if (options.signal?.aborted) return;
    throw execError(app, 'read its output', error);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stream.destroy();
  }
  if (options.signal?.aborted) return;
  for (const name of ['stdout', 'stderr'] as const) {
    const rest = decoders[name].end();
    if (rest) yield { kind: 'output', stream: name, text: rest };
  }
  const info = (await exec.inspect().catch((error: unknown) => {
    throw execError(app, 'read its exit code', error);
  })) as { ExitCode?: number | null; Running?: boolean };
  yield { kind: 'exit', exitCode: info.ExitCode ?? -1 };
}

/** An exec made and not started yet: for a terminal (`app exec -it`), attached by the client. */
export interface ExecSession {
  task: string;
  node: string;
  tty: boolean;
  /**
   * Starts it attached: what is written goes to its stdin, what it writes comes back (raw with a
   * terminal; framed as the Engine's multiplexed stream without one).
   */
  attach(): Promise<Duplex>;
  /** The terminal's size, when it changes. */
  resize(rows: number, cols: number): Promise<void>;
  /** Its exit code once it has ended; undefined while it runs. */
  exitCode(): Promise<number | undefined>;
}

/** Makes the exec in the app's task (as execInApp chooses it), with stdin and maybe a terminal. */
export async function openAppExec(
  docker: Docker,
  engines: NodeEngines,
  app: string,
  command: string[],
  options: AppExecOptions & { tty: boolean },
): Promise<ExecSession> {
  const { target, exec } = await createExec(docker, engines, app, command, options, { stdin: true, tty: options.tty });
  return {
    task: target.task,
    node: target.node,
    tty: options.tty,
    attach: async () =>
      (await exec.start({ hijack: true, stdin: true, Tty: options.tty }).catch((error: unknown) => {
        throw execError(app, `start the exec in ${target.task}`, error);
      })) as Duplex,
    resize: async (rows, cols) => {
      await exec.resize({ h: rows, w: cols }).catch((error: unknown) => {
        throw execError(app, 'resize its terminal', error);
      });
    },
    exitCode: async () => {
      const info = (await exec.inspect().catch((error: unknown) => {
        throw execError(app, 'read its exit code', error);
      })) as { ExitCode?: number | null; Running?: boolean };
      return info.Running ? undefined : (info.ExitCode ?? undefined);
    },
  };
}
