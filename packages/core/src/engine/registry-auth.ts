import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Sensitive } from '../sensitive.js';

export interface RegistryAuth {
  serveraddress: string;
  username: string;
  password: Sensitive<string>;
}

/** The registry host of an image reference (`docker.io` when it names none, as docker does). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first : 'docker.io';
}

/** The X-Registry-Auth body dockerode sends; the only place the password is revealed. */
export function authConfig(auth: RegistryAuth): { serveraddress: string; username: string; password: string } {
  return { serveraddress: auth.serveraddress, username: auth.username, password: auth.password.reveal() };
}

/**
 * Credentials for an image's registry from a docker config file (what `docker login` wrote),
 * as `--with-registry-auth` does. Returns undefined when there are none.
 */
export async function registryAuthFromDockerConfig(
  image: string,
  configPath = join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json'),
): Promise<RegistryAuth | undefined> {
  const text = await readFile(configPath, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const auths = (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
  const registry = registryOf(image);
  const entry =
    auths[registry] ??
    auths[`https://${registry}`] ??
    (registry === 'docker.io' ? auths['https://index.docker.io/v1/'] : undefined);
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return {
    serveraddress: registry,
    username: decoded.slice(0, colon),
    password: new Sensitive(decoded.slice(colon + 1)),
  };
}
