import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage } from '../engine/client.js';
import { framedText } from '../engine/frames.js';

// Throwaway containers run through the Engine API, never a docker CLI: the API service has the
// socket and no CLI (a command in a running container: engine/container-exec.ts). Output comes
// back as Docker's multiplexed stream (no TTY), which `framedText` turns into plain text with
// stdout and stderr in the order they were written.

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
