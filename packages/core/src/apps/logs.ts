import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { FrameReader } from '../engine/frames.js';
import { appServices } from './app-services.js';
import { byTime, parseLogFrame, type AppLogLine, type RawLogLine } from './log-line.js';

// An app's logs, merged from every task of every service it runs, on whichever node: the swarm's
// own log broker streams them through the manager, so nothing here has to reach a worker.

export interface AppLogOptions {
  /** The last N lines (of the whole app, merged). Default 200. */
  tail?: number;
  since?: Date;
  /** Only this service: `web` or a runner's name. */
  runner?: string;
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

interface TaskRow {
  ID: string;
  Slot?: number;
  NodeID?: string;
}

/** Task ids and node ids to the names people read (`web.1`, `mc-w1`), looked up again on a miss. */
class LogNames {
  private tasks = new Map<string, string>();
  private nodes = new Map<string, string>();

  constructor(
    private readonly docker: Docker,
    private readonly services: { id: string; short: string }[],
  ) {}

  async refresh(): Promise<void> {
    const nodes = (await this.docker.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
    for (const n of nodes) this.nodes.set(n.ID, n.Description?.Hostname ?? n.ID);
    for (const s of this.services) {
      const tasks = (await this.docker.listTasks({ filters: { service: [s.id] } })) as TaskRow[];
      for (const t of tasks) this.tasks.set(t.ID, t.Slot !== undefined ? `${s.short}.${t.Slot}` : `${s.short}.${t.ID}`);
    }
  }

  async name(raw: RawLogLine, service: string): Promise<AppLogLine> {
    if (raw.taskId !== '' && !this.tasks.has(raw.taskId)) await this.refresh().catch(() => undefined);
    return {
      time: raw.time,
      service,
      task: this.tasks.get(raw.taskId) ?? (raw.taskId ? `${service}.${raw.taskId.slice(0, 12)}` : service),
      node: this.nodes.get(raw.nodeId) ?? raw.nodeId,
      stream: raw.stream,
      line: raw.line,
    };
  }
}

function logParams(options: AppLogOptions, follow: boolean) {
  return {
    stdout: true,
    stderr: true,
    timestamps: true,
    details: true,
    follow,
    tail: options.tail ?? 200,
    ...(options.since ? { since: Math.floor(options.since.getTime() / 1000) } : {}),
  };
}

/** dockerode types service logs as a stream; without `follow` the Engine's answer is one Buffer. */
function serviceLogs<T>(docker: Docker, id: string, params: ReturnType<typeof logParams>): Promise<T> {
  return docker.getService(id).logs(params) as unknown as Promise<T>;
}

function engineError(app: string, error: unknown): MinicloudError {
  return new MinicloudError('MC_ENGINE', `read the logs of ${app}: ${engineMessage(error)}`, [], { cause: error });
}

/** The app's last lines, oldest first, across every task. */
export async function readAppLogs(docker: Docker, app: string, options: AppLogOptions = {}): Promise<AppLogLine[]> {
  const services = await appServices(docker, app, options.runner);
  const names = new LogNames(docker, services);
  await names.refresh();
  const out: AppLogLine[] = [];
  for (const s of services) {
    const raw = await serviceLogs<Buffer>(docker, s.id, logParams(options, false)).catch((error: unknown) => {
      throw engineError(app, error);
    });
    for (const frame of new FrameReader().push(raw))
      for (const line of parseLogFrame(frame)) out.push(await names.name(line, s.short));
  }
  out.sort(byTime);
  return out.slice(-(options.tail ?? 200));
}

/**
 * The app's last lines, then each new line as its task writes it, until `signal` aborts (or every
 * service's stream ends: the app was removed). Lines of different tasks arrive interleaved.
 */
export async function* followAppLogs(
  docker: Docker,
  app: string,
  options: AppLogOptions = {},
): AsyncGenerator<AppLogLine> {
  const services = await appServices(docker, app, options.runner);
  const names = new LogNames(docker, services);
  await names.refresh();
  const streams: Readable[] = [];
  const queue: (AppLogLine | Error | 'end')[] = [];
  let wake: (() => void) | undefined;
  const put = (item: AppLogLine | Error | 'end') => {
    queue.push(item);
    wake?.();
  };
  const stop = () => {
    for (const s of streams) s.destroy();
    put('end');
  };
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', stop, { once: true });
  let open = services.length;
  try {
    for (const s of services) {
      const stream = await serviceLogs<Readable>(docker, s.id, logParams(options, true)).catch((error: unknown) => {
        throw engineError(app, error);
      });
      streams.push(stream);
      const frames = new FrameReader();
      // Names are looked up in order, one chunk after the other, so a task's lines keep their order.
      let naming = Promise.resolve();
      stream.on('data', (chunk: Buffer) => {
        const lines = frames.push(chunk).flatMap(parseLogFrame);
        naming = naming.then(async () => {
          for (const line of lines) put(await names.name(line, s.short));
        });
      });
      stream.on('error', (error) => put(engineError(app, error)));
      stream.on('close', () => void naming.then(() => --open === 0 && put('end')));
    }
    if (services.length === 0) return;
    for (;;) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const item = queue.shift()!;
      if (item === 'end') return;
      if (item instanceof Error) throw item;
      yield item;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    for (const s of streams) s.destroy();
  }
}
