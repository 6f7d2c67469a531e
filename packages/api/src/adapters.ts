import type Docker from 'dockerode';
import {
  agentEnginesFromTokenFile,
  composeFromText,
  execInApp,
  openAppExec,
  appStats,
  DiskUsageReader,
  deployStack,
  followAppLogs,
  formatPlan,
  joinCommand,
  listNodes,
  listRegistry,
  MinicloudError,
  platformLayout,
  platformJoinCommand,
  readAppLogs,
  readImageManifest,
  registryAccess,
  registryOf,
  removeStack,
  setNodeAvailability,
  serverMemory,
  setNodeLabels,
  singleNodeEngines,
  stackStatus,
  StatsHistory,
  type NodeEngines,
  type NodeMemory,
  type RegistryAuth,
} from '@minicloud/core';
import type { ExecPort, ImagesPort, LogsPort, NodesPort, RegistryPort, StacksPort, StatsPort } from './ports.js';

// The ports of ./ports.ts over core and the Docker Engine: what the API service runs with.
// Each is thin; the logic they call is core's, tested there and in the engine tests.

export interface DockerPortsOptions {
  docker: Docker;
  /** The platform data dir: registry credentials, join command. Without it those answer 503. */
  dataDir?: string;
  deployTimeoutMs?: number;
  /** Each node's own engine, for container stats; default the manager's for every node. */
  engines?: NodeEngines;
  /** The apps' last hour, filled by the sampler (core's startStatsSampler); empty without. */
  statsHistory?: StatsHistory;
}

/** The dashboard refreshes every few seconds: node memory is read at most this often. */
const SERVER_MEMORY_MAX_AGE_MS = 15_000;

/** Each node's engine through its agent; without a platform (a bare engine), the one engine. */
export function nodeEngines(docker: Docker, dataDir: string | undefined): NodeEngines {
  return dataDir
    ? agentEnginesFromTokenFile(docker, platformLayout(dataDir).secret['node-agent-token'])
    : singleNodeEngines(docker);
}

export function dockerPorts(options: DockerPortsOptions): {
  nodes: NodesPort;
  stacks: StacksPort;
  images: ImagesPort;
  logs: LogsPort;
  exec: ExecPort;
  stats: StatsPort;
  registry?: RegistryPort;
} {
  const { docker, dataDir } = options;
  const engines = options.engines ?? nodeEngines(docker, dataDir);
  const history = options.statsHistory ?? new StatsHistory();

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
    appLogs: (app, options) => readAppLogs(docker, app, options),
    followLogs: (app, options) => followAppLogs(docker, app, options),
  };

  const exec: ExecPort = {
    exec: (app, command, execOptions) => execInApp(docker, engines, app, command, execOptions),
    open: (app, command, execOptions) => openAppExec(docker, engines, app, command, { ...execOptions, tty: true }),
  };

  const disk = dataDir ? new DiskUsageReader(dataDir) : undefined;
  let memory: { at: number; nodes: Promise<NodeMemory[]> } | undefined;
  const stats: StatsPort = {
    appStats: async (app, { runner }) => ({
      tasks: await appStats(docker, engines, app, runner !== undefined ? { runner } : {}),
      history: history.samples(app),
    }),
    serverFigures: async () => {
      if (!memory || Date.now() - memory.at > SERVER_MEMORY_MAX_AGE_MS) {
        const nodes = serverMemory(docker, engines);
        memory = { at: Date.now(), nodes };
        nodes.catch(() => (memory = undefined));
      }
      return {
        at: new Date().toISOString(),
        nodes: await memory.nodes,
        ...(disk ? { disk: await disk.read() } : {}),
      };
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

  return { nodes, stacks, images, logs, exec, stats, ...(registry ? { registry } : {}) };
}
