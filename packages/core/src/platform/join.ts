import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { joinCommand } from '../engine/swarm.js';
import { loadPlatformSettings } from './init.js';
import { platformLayout } from './layout.js';
import { sha256OfText } from './pki.js';

// What a new node runs to join: download join-worker.sh from the manager's proxy, check it
// against the sha256 printed here (plain HTTP cannot be trusted, the pinned hash can), then
// run it; it fetches the platform CA the same way, pinned by its own hash.

export interface WorkerJoinInput {
  /** host:port of a manager's swarm API, e.g. 10.0.0.5:2377. */
  manager: string;
  token: Sensitive<string>;
  registryAddr: string;
  registryUser: string;
  registryPassword: Sensitive<string>;
  caSha256: string;
  scriptSha256: string;
}

/** Single-quotes a word for sh: the only quoting that needs no further escaping inside. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function workerJoinCommand(input: WorkerJoinInput): string {
  const managerHost = input.manager.replace(/:[0-9]+$/, '');
  const url = `http://${managerHost}/.well-known/minicloud/join-worker.sh`;
  const q = shellQuote;
  return [
    `curl -fsSL -o join-worker.sh ${q(url)} \\`,
    `  && echo ${q(`${input.scriptSha256}  join-worker.sh`)} | sha256sum -c --quiet \\`,
    `  && MINICLOUD_REGISTRY_PASSWORD=${q(input.registryPassword.reveal())} bash join-worker.sh \\`,
    `    --manager ${q(input.manager)} --token ${q(input.token.reveal())} \\`,
    `    --registry ${q(input.registryAddr)} --registry-user ${q(input.registryUser)} --ca-sha256 ${q(input.caSha256)}`,
  ].join('\n');
}

/** The join command for this platform: swarm token and managers from the engine, the rest from the data dir. */
export async function platformJoinCommand(docker: Docker, dataDir: string): Promise<string> {
  const settings = await loadPlatformSettings(dataDir);
  const layout = platformLayout(dataDir);
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new MinicloudError(
        'MC_PLATFORM_NOT_FOUND',
        `cannot read ${path}: ${(error as Error).message} (run as root on the manager)`,
      );
    }
  };
  const { token, managers } = await joinCommand(docker, 'worker');
  if (!token || managers.length === 0)
    throw new MinicloudError('MC_ENGINE', 'this engine is not a swarm manager: run on a manager node');
  return workerJoinCommand({
    manager: managers[0]!,
    token: new Sensitive(token),
    registryAddr: settings.registryAddr,
    registryUser: settings.registryUser,
    registryPassword: new Sensitive((await read(layout.secret['registry-password'])).trim()),
    caSha256: sha256OfText(await read(join(layout.publicDir, 'ca.crt'))),
    scriptSha256: sha256OfText(await read(join(layout.publicDir, 'join-worker.sh'))),
  });
}
