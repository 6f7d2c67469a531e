import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from './client.js';
import { FrameReader } from './frames.js';

// The one way a command runs in a running container (`docker exec` without a TTY) through the
// Engine API, never a docker CLI: the API service has the socket and no CLI. Backups' dumps and
// loads, the proxy's nginx reload and the registry's garbage-collect all come through here; the
// bytes stream through this process.
//
// dockerode's own docker.modem.demuxStream writes to its targets without looking at what
// write() returns, so a slow consumer (gzip, the disk) would make it buffer the whole dump
// in memory. ExecDemux is a Transform over the one frame parser (frames.ts): when the file falls behind,
// the pipeline stops reading the socket, TCP fills up and mariadb-dump blocks on its write.

export interface ExecDemuxOptions {
  /** stderr kept is capped to its last this many bytes (default 64 KiB). */
  stderrLimit?: number;
  /** Like 2>&1: stderr is passed on with stdout, in the order written (for messages read whole). */
  mergeStderr?: boolean;
}

/** Splits the Engine's multiplexed exec stream into stdout (passed on) and stderr (kept). */
export class ExecDemux extends Transform {
  private readonly frames = new FrameReader();
  private stderrChunks: Buffer[] = [];
  private stderrBytes = 0;
  private readonly stderrLimit: number;
  private readonly mergeStderr: boolean;

  constructor(options: ExecDemuxOptions = {}) {
    super();
    this.stderrLimit = options.stderrLimit ?? 64 * 1024;
    this.mergeStderr = options.mergeStderr ?? false;
  }

  /** What the command wrote to stderr (its last stderrLimit bytes). */
  stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.frames.push(chunk)) {
      if (frame.stream === 'stdout' || (this.mergeStderr && frame.stream === 'stderr')) this.push(frame.payload);
      else if (frame.stream === 'stderr') this.keepStderr(frame.payload);
    }
    callback();
  }

  private keepStderr(payload: Buffer): void {
    this.stderrChunks.push(Buffer.from(payload));
    this.stderrBytes += payload.length;
    while (this.stderrBytes > this.stderrLimit && this.stderrChunks.length > 1) {
      this.stderrBytes -= this.stderrChunks.shift()!.length;
    }
  }
}

export interface ExecSpec {
  cmd: string[];
  /** Extra environment of the exec'd process only (not of the container). */
  env?: string[];
  user?: string;
  /** Bytes written to the command's stdin, which is closed at their end. */
  stdin?: Readable;
  /** Where stdout goes (with backpressure); without one it is collected and returned. */
  stdout?: Writable;
  /** Collected stdout is capped at this size (default 16 MiB). */
  maxStdout?: number;
  /** Like 2>&1: stderr goes with stdout, in the order written; `stderr` of the result is then empty. */
  mergeStderr?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container and waits for it; never throws on a non-zero exit. */
export async function execInContainer(docker: Docker, containerId: string, spec: ExecSpec): Promise<ExecResult> {
  const container = docker.getContainer(containerId);
  const exec = await container
    .exec({
      Cmd: spec.cmd,
      AttachStdin: spec.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(spec.env ? { Env: spec.env } : {}),
      ...(spec.user ? { User: spec.user } : {}),
    })
    .catch((error: unknown) => {
      throw new MinicloudError(
        'MC_ENGINE',
        `exec in container ${containerId.slice(0, 12)}: ${engineMessage(error)}`,
        [],
        {
          cause: error,
        },
      );
    });
  const stream = (await exec.start(spec.stdin ? { hijack: true, stdin: true } : {}).catch((error: unknown) => {
    throw new MinicloudError(
      'MC_ENGINE',
      `start the exec in container ${containerId.slice(0, 12)}: ${engineMessage(error)}`,
      [],
      {
        cause: error,
      },
    );
  })) as NodeJS.ReadWriteStream & Readable;

  const demux = new ExecDemux({ mergeStderr: spec.mergeStderr ?? false });
  const collected: Buffer[] = [];
  let collectedBytes = 0;
  const maxStdout = spec.maxStdout ?? 16 * 1024 * 1024;
  const sink =
    spec.stdout ??
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        collectedBytes += chunk.length;
        if (collectedBytes > maxStdout) return callback(new Error(`the command wrote more than ${maxStdout} bytes`));
        collected.push(chunk);
        callback();
      },
    });

  const writing = spec.stdin ? feed(spec.stdin, stream) : Promise.resolve();
  // If feeding stdin fails (a damaged gzip, say), the socket is destroyed and the read side ends too.
  const reading = pipeline(stream, demux, sink);
  const [written, read] = await Promise.allSettled([writing, reading]);
  if (read.status === 'rejected') throw written.status === 'rejected' ? written.reason : read.reason;
  const exitCode = await exitCodeOf(exec);
  // A command that fails stops reading its input: its own exit code and message say why.
  if (written.status === 'rejected' && exitCode === 0) throw written.reason;
  return { exitCode, stdout: Buffer.concat(collected).toString('utf8'), stderr: demux.stderr() };
}

/** Copies a source into the exec's stdin with backpressure, then half-closes it (EOF for the command). */
async function feed(source: Readable, socket: NodeJS.ReadWriteStream & Readable): Promise<void> {
  const target = socket as unknown as Writable;
  try {
    for await (const chunk of source) {
      if (!target.write(chunk as Buffer)) await drained(target);
    }
    target.end();
  } catch (error) {
    socket.destroy(error as Error);
    throw error;
  }
}

/** Waits for 'drain', failing if the stream closes or errors first; leaves no listener behind. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => finish();
    const onClose = () => finish(new Error('the command closed its input'));
    const onError = (error: Error) => finish(error);
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onError);
  });
}

async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new MinicloudError('MC_ENGINE', 'the command closed its output but did not exit');
}

/** The id of a running container of a swarm service on this node (e.g. minicloud_mariadb), if any. */
export async function runningServiceContainer(docker: Docker, service: string): Promise<string | undefined> {
  const found = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] },
  });
  return found[0]?.Id;
}
