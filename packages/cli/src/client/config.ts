import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Sensitive, defaultDataDir, platformLayout } from '@minicloud/core';

// Where the CLI finds the API server it drives: flags, then the environment, then a config
// file (~/.config/minicloud/config.json: {"server": "https://admin.example.com", "token": "..."}
// or "tokenFile" instead of "token"). The token is a secret from the moment it is read.

export interface ServerConfig {
  server: string;
  token: Sensitive<string>;
  /** A CA to trust besides the system's (the platform's own, on its manager). */
  ca?: string;
  /** An address to connect to instead of resolving the server's host name. */
  connectTo?: string;
  /** Where it came from, for messages: "flags", "environment" or the file's path. */
  source: string;
}

export interface ServerFlags {
  server?: string;
  token?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['MINICLOUD_CONFIG']) return env['MINICLOUD_CONFIG'];
  const base = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(base, 'minicloud', 'config.json');
}

async function fromFile(path: string): Promise<ServerConfig | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${error.message}`);
  });
  if (text === undefined) return undefined;
  let doc: { server?: unknown; token?: unknown; tokenFile?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  if (typeof doc.server !== 'string') throw new Error(`${path}: "server" must be the API's URL`);
  let token = typeof doc.token === 'string' ? doc.token : undefined;
  if (token === undefined && typeof doc.tokenFile === 'string') {
    token = (await readFile(doc.tokenFile, 'utf8').catch(() => undefined))?.trim();
    if (token === undefined) throw new Error(`${path}: cannot read tokenFile ${doc.tokenFile}`);
  }
  if (!token) throw new Error(`${path}: "token" (or "tokenFile") is required`);
  return { server: doc.server, token: new Sensitive(token), source: path };
}

/**
 * On the manager itself (as root, or in the installed `minicloud` wrapper), the platform's
 * data dir says it all: the admin API at https://admin.<domain>, reached on this host's own
 * proxy, its CA, and the admin token.
 */
async function fromDataDir(dataDir: string): Promise<ServerConfig | undefined> {
  const layout = platformLayout(dataDir);
  const [platform, token, ca] = await Promise.all([
    readFile(layout.platformFile, 'utf8').catch(() => undefined),
    readFile(layout.secret['admin-token'], 'utf8').catch(() => undefined),
    readFile(layout.caCert, 'utf8').catch(() => undefined),
  ]);
  if (platform === undefined || token === undefined || ca === undefined) return undefined;
  const domain = (JSON.parse(platform) as { settings?: { domain?: string } }).settings?.domain;
  if (!domain) return undefined;
  return {
    server: `https://admin.${domain}`,
    token: new Sensitive(token.trim()),
    ca,
    connectTo: '127.0.0.1',
    source: dataDir,
  };
}

/** The server to use, or undefined when none is configured anywhere. */
export async function resolveServer(
  flags: ServerFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerConfig | undefined> {
  const server = flags.server ?? env['MINICLOUD_SERVER'];
  const token = flags.token ?? env['MINICLOUD_TOKEN'];
  if (server && token) return { server, token: new Sensitive(token), source: flags.server ? 'flags' : 'environment' };
  const file = await fromFile(configPath(env));
  if (!file) {
    if (server || token) throw new Error('give both a server URL and a token (--server URL --token T)');
    return fromDataDir(env['MINICLOUD_DATA_DIR'] || defaultDataDir());
  }
  return { server: server ?? file.server, token: token ? new Sensitive(token) : file.token, source: file.source };
}
