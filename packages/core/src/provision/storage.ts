import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type Docker from 'dockerode';
import type { StorageAdmin } from '../apps/ports.js';
import { MinicloudError } from '../errors.js';
import { listNodes, setNodeLabels } from '../engine/swarm.js';
import { checkAppName } from './names.js';
import { removeTree } from '../backup/held-dir.js';

// App storage: a directory per app under <dataDir>/storage on the manager, and a node label
// that the app's placement constraint (`node.labels.minicloud.storage.<app> == true`) follows,
// so the app always runs where its data is. The API runs on the manager with the data dir
// mounted at the same path, so the path it creates is the path the swarm bind-mounts.

export interface LocalStorageAdminOptions {
  docker: Docker;
  /** `<dataDir>/storage`, absolute. */
  storageDir: string;
  /** The node that holds the directories; default: the node of the engine `docker` talks to. */
  nodeId?: string;
}

export function storageLabel(app: string): string {
  return `minicloud.storage.${app}`;
}

async function attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof MinicloudError) throw error;
    throw new MinicloudError('MC_STORAGE', `${what}: ${(error as Error).message}`);
  }
}

export class LocalStorageAdmin implements StorageAdmin {
  readonly #docker: Docker;
  readonly #root: string;
  readonly #nodeId: string | undefined;

  constructor(options: LocalStorageAdminOptions) {
    if (!isAbsolute(options.storageDir) || resolve(options.storageDir) === '/') {
      throw new MinicloudError(
        'MC_STORAGE',
        `the storage dir must be an absolute path below /, not ${options.storageDir}`,
      );
    }
    this.#docker = options.docker;
    this.#root = resolve(options.storageDir);
    this.#nodeId = options.nodeId;
  }

  /**
   * The app's directory, refusing anything that would not be a direct child of the storage dir.
   * checkAppName already rules out `/` and `..`; this states the invariant rm -rf relies on.
   */
  dirOf(app: string): string {
    const dir = resolve(this.#root, checkAppName(app));
    if (dirname(dir) !== this.#root || basename(dir) !== app) {
      throw new MinicloudError('MC_STORAGE', `refusing ${dir}: it is not inside ${this.#root}`);
    }
    return dir;
  }

  async ensure(app: string): Promise<{ dir: string; nodeId: string }> {
    const dir = this.dirOf(app);
    await attempt(`create ${dir}`, async () => {
      await mkdir(this.#root, { recursive: true, mode: 0o755 });
      await mkdir(dir, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      // A symlink planted there would send the chmod (and the app's writes) elsewhere.
      const stat = await lstat(dir);
      if (!stat.isDirectory()) throw new MinicloudError('MC_STORAGE', `${dir} exists and is not a directory`);
      // mkdir's mode is filtered by the umask; the app's user (any uid) must be able to enter it.
      await chmod(dir, 0o755);
    });
    const nodeId = this.#nodeId ?? (await this.#localNode());
    await setNodeLabels(this.#docker, nodeId, { [storageLabel(app)]: 'true' });
    return { dir, nodeId };
  }

  async exists(app: string): Promise<boolean> {
    const dir = this.dirOf(app);
    return attempt(`look at ${dir}`, () =>
      lstat(dir).then(
        (stat) => stat.isDirectory(),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      ),
    );
  }

  /** Deletes the directory with everything in it, and the label from every node carrying it. */
  async drop(app: string): Promise<void> {
    const dir = this.dirOf(app);
    // The app has written in there (and may still, from a task that is stopping): removed
    // entry by entry through held descriptors, so a symlink it plants or swaps in cannot send
    // the deletion outside its directory. Something other than a directory (never made by
    // ensure) is unlinked itself, not followed.
    await attempt(`remove ${dir}`, async () => {
      const stat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (stat === undefined) return;
      if (stat.isDirectory()) await removeTree(dir);
      else await unlink(dir);
    });
    const label = storageLabel(app);
    for (const node of await listNodes(this.#docker)) {
      if (label in node.labels) await setNodeLabels(this.#docker, node.id, { [label]: null });
    }
  }

  async #localNode(): Promise<string> {
    const info = (await attempt('engine info', () => this.#docker.info())) as { Swarm?: { NodeID?: string } };
    if (!info.Swarm?.NodeID)
      throw new MinicloudError('MC_STORAGE', 'the engine is not part of a swarm: no node to label');
    return info.Swarm.NodeID;
  }
}
