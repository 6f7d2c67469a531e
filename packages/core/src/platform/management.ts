import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { MinicloudError } from '../errors.js';
import { REDIS_SERVICE } from '../needs/redis/service.js';
import { DNS_FALLBACK_SOCKET } from '../proxy/templates.js';
import { platformLayout } from './layout.js';
import type { PlatformSettings } from './settings.js';
import { allServicesUp } from './service-replicas.js';

// The management stack and the files its services read are templates in stacks/management/
// of this repository (shipped inside the API image), rendered with the platform settings into
// <data-dir>/config/management/. Rendering is a pure function of templates, settings and
// which shared services run (service-replicas.ts).

export { PLATFORM_STACK } from '../platform-names.js';

/** stacks/management/ beside the built packages: in the repository and in the API image. */
export function defaultTemplatesDir(): string {
  return fileURLToPath(new URL('../../../../stacks/management/', import.meta.url));
}

/** Every template file under dir, by path relative to it (`proxy/conf.d/admin.conf`). */
export async function loadTemplates(dir: string = defaultTemplatesDir()): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.endsWith('.md')) out[relative(dir, path)] = await readFile(path, 'utf8');
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    throw new MinicloudError(
      'MC_PLATFORM_INVALID',
      `cannot read the management templates in ${dir}: ${(error as Error).message}`,
    );
  }
  if (!out['minicloud.yml']) throw new MinicloudError('MC_PLATFORM_INVALID', `${dir} holds no minicloud.yml`);
  return out;
}

/** The values templates may use: settings plus every path of the layout, as flat strings. */
export function templateValues(
  settings: PlatformSettings,
  replicas: Record<string, number> = allServicesUp(),
): Record<string, unknown> {
  const layout = platformLayout(settings.dataDir);
  return {
    ...settings,
    registryKeep: String(settings.registryKeep),
    // Each shared service's replicas: 0 while idle (service-replicas.ts).
    replicas: Object.fromEntries(Object.entries(replicas).map(([k, v]) => [k, String(v)])),
    configDir: layout.configDir,
    managementDir: layout.managementDir,
    proxyDir: layout.proxyDir,
    proxyTlsDir: layout.proxyTlsDir,
    registryTlsDir: layout.registryTlsDir,
    publicDir: layout.publicDir,
    appSecretsDir: layout.appSecretsDir,
    registryDataDir: layout.registryDataDir,
    mariadbDataDir: layout.mariadbDataDir,
    rabbitmqDataDir: layout.rabbitmqDataDir,
    postgresDataDir: layout.postgresDataDir,
    redisDataDir: layout.redisDataDir,
    adminTokenFile: layout.secret['admin-token'],
    mariadbRootPasswordFile: layout.secret['mariadb-root-password'],
    rabbitmqPasswordFile: layout.secret['rabbitmq-password'],
    postgresPasswordFile: layout.secret['postgres-password'],
    redisPasswordFile: layout.secret['redis-password'],
    registryPasswordFile: layout.secret['registry-password'],
    registryHtpasswdFile: layout.registryHtpasswd,
    registryConfigFile: layout.registryConfig,
    nodeAgentTokenFile: layout.secret['node-agent-token'],
    // Not pushed anywhere yet (a platform init outside install.sh): the proxy's image as it is.
    nodeAgentImage: settings.nodeAgentImage || settings.images.proxy,
    // The apps' DNS fallback socket: 00-default.conf refuses what no app claims on it.
    dnsFallbackSocket: DNS_FALLBACK_SOCKET,
  };
}

/**
 * Renders each template. Strict: a name the values lack is an error, not an empty string.
 * No HTML escaping: the values were checked against strict patterns by platformSettings().
 */
export function renderManagementFiles(
  templates: Record<string, string>,
  settings: PlatformSettings,
  replicas?: Record<string, number>,
): Record<string, string> {
  const values = templateValues(settings, replicas);
  // The redis service's config and start script are data of its need kind (needs/redis/service.ts), as they are.
  const files: Record<string, string> = { ...templates, ...REDIS_SERVICE.fileContents };
  const out: Record<string, string> = {};
  for (const [path, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (path in REDIS_SERVICE.fileContents) {
      out[path] = text;
      continue;
    }
    try {
      out[path] = Handlebars.compile(text, { strict: true, noEscape: true })(values);
    } catch (error) {
      throw new MinicloudError('MC_PLATFORM_INVALID', `template ${path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}
