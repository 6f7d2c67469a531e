import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { framedText } from '../engine/frames.js';

// Commands run through the Engine API, never a docker CLI: the API service has the socket
// and no CLI. Output comes back as Docker's multiplexed stream (no TTY), which `framedText` turns
// into plain text with stdout and stderr in the order they were written.

export interface CommandResult {
  exitCode: number;
  output: string;
}

async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `${what}: ${engineMessage(error)}`);
  }
}

export interface ThrowawayOptions {
  image: string;
  entrypoint: string[];
  cmd: string[];
  /** host-path:container-path[:ro] */
  binds: string[];
  labels?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs a container to its end without a network, returns its exit code and output, removes it. */
export async function runThrowaway(docker: Docker, options: ThrowawayOptions): Promise<CommandResult> {
  const container = await engine(`create a container of ${options.image}`, () =>
    docker.createContainer({
      Image: options.image,
      Entrypoint: options.entrypoint,
      Cmd: options.cmd,
      Labels: { 'minicloud.managed': 'true', ...options.labels },
      HostConfig: { Binds: options.binds, NetworkMode: 'none', Memory: 64 * 1024 * 1024 },
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await engine('start the container', () => container.start());
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MinicloudError('MC_ENGINE', `${options.cmd.join(' ')} did not finish in time`)),
        options.timeoutMs ?? 30_000,
      );
    });
    const { StatusCode } = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
    const logs = await engine('read its output', () => container.logs({ stdout: true, stderr: true, follow: false }));
    return { exitCode: StatusCode, output: framedText(logs) };
  } finally {
    clearTimeout(timer);
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** `docker exec` without a TTY: waits for the command and returns its exit code and output. */
export async function execInContainer(docker: Docker, containerId: string, cmd: string[]): Promise<CommandResult> {
  const exec = await engine(`exec in container ${containerId.slice(0, 12)}`, () =>
    docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }),
  );
  const stream = await engine('start the exec', () => exec.start({ hijack: true, stdin: false }));
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; ; i++) {
    const info = (await engine('inspect the exec', () => exec.inspect())) as {
      Running: boolean;
      ExitCode: number | null;
    };
    if (!info.Running && info.ExitCode !== null)
      return { exitCode: info.ExitCode, output: framedText(Buffer.concat(chunks)) };
    if (i >= 50) throw new MinicloudError('MC_ENGINE', `${cmd.join(' ')} did not finish in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
