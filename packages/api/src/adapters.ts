import type Docker from 'dockerode';
import {
  composeFromText,
  deployStack,
  formatPlan,
  joinCommand,
  listNodes,
  listRegistry,
  MinicloudError,
  platformJoinCommand,
  readImageManifest,
  registryAccess,
  registryOf,
  removeStack,
  setNodeAvailability,
  setNodeLabels,
  stackStatus,
  STACK_NAMESPACE_LABEL,
  type RegistryAuth,
} from '@minicloud/core';
import type { ImagesPort, LogLine, LogsPort, NodesPort, RegistryPort, StacksPort } from './ports.js';

// The ports of ./ports.ts over core and the Docker Engine: what the API service runs with.
// Each is thin; the logic they call is core's, tested there and in the engine tests.

export interface DockerPortsOptions {
  docker: Docker;
  /** The platform data dir: registry credentials, join command. Without it those answer 503. */
  dataDir?: string;
  deployTimeoutMs?: number;
}

export function dockerPorts(options: DockerPortsOptions): {
  nodes: NodesPort;
  stacks: StacksPort;
  images: ImagesPort;
  logs: LogsPort;
  registry?: RegistryPort;
} {
  const { docker, dataDir } = options;

  /** The private registry's credentials, so images there can be read and deployed. */
  async function registryAuth(image?: string): Promise<RegistryAuth | undefined> {
    if (!dataDir) return undefined;
    const access = await registryAccess(dataDir).catch(() => undefined);
    if (!access) return undefined;
    if (image !== undefined && registryOf(image) !== access.settings.registryAddr) return undefined;
    return { serveraddress: access.settings.registryAddr, username: access.username, password: access.password };
  }

  async function requireNode(id: string): Promise<void> {
    if (!(await listNodes(docker)).some((n) => n.id === id))
      throw new MinicloudError('MC_NODE_NOT_FOUND', `no node with id ${id}`);
  }

  const nodes: NodesPort = {
    list: () => listNodes(docker),
    joinCommand: async () => (dataDir ? platformJoinCommand(docker, dataDir) : (await joinCommand(docker)).command),
    setLabels: async (id, labels) => {
      await requireNode(id);
      await setNodeLabels(docker, id, labels);
    },
    setAvailability: async (id, availability) => {
      await requireNode(id);
      await setNodeAvailability(docker, id, availability);
    },
  };

  const stacks: StacksPort = {
    deploy: async (name, text, { prune }, progress) => {
      progress('reading the compose file');
      // No variables from the server's environment, no files from its disk.
      const compose = composeFromText(text, `stack ${name}`, {});
      const auth = await registryAuth();
      progress('deploying');
      const result = await deployStack(name, compose, {
        docker,
        inputs: { envFiles: {}, files: {}, env: {} },
        prune,
        ...(auth ? { registryAuth: [auth] } : {}),
        ...(options.deployTimeoutMs !== undefined ? { timeoutMs: options.deployTimeoutMs } : {}),
      });
      const actions = formatPlan(result.plan);
      for (const line of actions) progress(line.replace(/\s+/g, ' '));
      progress('converged');
      return { actions, services: result.services };
    },
    status: (name) => stackStatus(name, docker),
    remove: (name) => removeStack(name, docker),
  };

  const images: ImagesPort = {
    manifest: async (image) => readImageManifest(docker, image, await registryAuth(image)),
  };

  const logs: LogsPort = {
    appLogs: async (app, tail) => {
      const services = (await docker.listServices({
        filters: { label: [`${STACK_NAMESPACE_LABEL}=${app}`] },
      })) as { ID: string; Spec?: { Name?: string } }[];
      const out: LogLine[] = [];
      for (const s of services) {
        const raw = (await docker
          .getService(s.ID)
          .logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
        const service = s.Spec?.Name ?? s.ID;
        for (const line of demux(raw)) out.push({ service, line });
      }
      return out;
    },
  };

  const registry: RegistryPort | undefined = dataDir
    ? {
        list: async () => {
          const access = await registryAccess(dataDir);
          return (await listRegistry(access.client)).map((t) => ({
            repository: t.repo,
            tag: t.tag,
            digest: t.digest,
            ...(t.created ? { created: t.created } : {}),
            size: t.size,
            blobs: t.blobs,
          }));
        },
      }
    : undefined;

  return { nodes, stacks, images, logs, ...(registry ? { registry } : {}) };
}

/**
 * Lines of a log stream in the engine's multiplexed format (8-byte frame headers: stream,
 * 0, 0, 0, then a big-endian length), or plain text when it has none (a TTY service).
 */
export function demux(raw: Buffer | string): string[] {
  const buf = typeof raw === 'string' ? Buffer.from(raw) : raw;
  const framed = buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  let text = '';
  if (framed) {
    let at = 0;
    while (at + 8 <= buf.length) {
      const size = buf.readUInt32BE(at + 4);
      text += buf.subarray(at + 8, at + 8 + size).toString('utf8');
      at += 8 + size;
    }
  } else {
    text = buf.toString('utf8');
  }
  return text.split('\n').filter((l) => l !== '');
}
