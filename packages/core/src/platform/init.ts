import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinicloudError } from '../errors.js';
import { compareVersions, platformVersion } from '../version.js';
import { Sensitive } from '../sensitive.js';
import { canonicalJson, sha256Hex } from '../stack/hash.js';
import { generateSecret, htpasswdLine, htpasswdMatches } from './credentials.js';
import { platformLayout, PLATFORM_SECRETS, type PlatformLayout } from './layout.js';
import { registryConfigYaml } from './registry-config.js';
import { loadTemplates, renderManagementFiles } from './management.js';
import { markIdleServices, readReplicaInputs, serviceReplicas } from './service-replicas.js';
import { DOMAINS_DIR } from '../provision/proxy-files.js';
import { CONFIG_DOCS, ensureConfigDoc } from './config-docs.js';
import {
  certificateProblem,
  createCa,
  issueCertificate,
  keyMatchesCertificate,
  type CertAndKey,
  type CertRequest,
} from './pki.js';
import {
  ACME_OFF,
  DEFAULT_ENGINE_SOCKET,
  isIpv4,
  laterImages,
  splitHostPort,
  type ImagesInput,
  type ManagementService,
  type PlatformSettings,
} from './settings.js';

// `minicloud platform init`: makes the data dir's secrets, CA, certificates and configuration
// exist and be current. Idempotent by construction: a secret or key that exists is never made
// again, a certificate is issued again only when it is missing, expiring, signed by another
// CA or lacks a name, and a rendered file is written only when its text changed. A rendered
// file someone edited by hand is kept, with the new version beside it as <file>.minicloud-new.

export type ChangeAction = 'created' | 'updated' | 'kept' | 'customized';

export interface InitChange {
  path: string;
  action: ChangeAction;
  why?: string;
}

export interface InitReport {
  changes: InitChange[];
  /** Services whose mounted files changed: the installer restarts them (nginx: reload). */
  restart: ManagementService[];
}

export interface InitOptions {
  templatesDir?: string;
  /** install/join-worker.sh, published under public/ for new nodes. */
  joinScript?: string;
  now?: Date;
  /** The minicloud version running this init (default: this package's); tests pass others. */
  version?: string;
}

/** Settings added after the first release: older platform.json files lack them. */
type LaterSetting = 'engineSocket' | 'nodeSocket' | 'nodeAgentImage' | keyof typeof ACME_OFF;

interface PlatformFile {
  /** The file's format. */
  version: 1;
  /** The minicloud that last ran init (missing in files from before it was recorded). */
  minicloudVersion?: string;
  /** As recorded: settings added later are missing from older files. */
  settings: Omit<PlatformSettings, LaterSetting | 'images'> &
    Partial<Pick<PlatformSettings, LaterSetting>> & { images: ImagesInput };
  /** sha256 of each rendered file as last written, to tell our text from a hand edit. */
  rendered: Record<string, string>;
  /**
   * The same for config/.gitignore and config/README.md (missing in files from before them):
   * a file there that is not ours is the operator's and is never written over.
   */
  configDocs?: Record<string, string>;
}

const SERVER_CERT_DAYS = 397;

export function defaultJoinScript(): string {
  return fileURLToPath(new URL('../../../../install/join-worker.sh', import.meta.url));
}

/** The registry's and the proxy's certificate requests, from the settings. */
export function certificateRequests(settings: PlatformSettings): { proxy: CertRequest; registry: CertRequest } {
  const host = splitHostPort(settings.registryAddr)?.host ?? '';
  const hostIsIp = isIpv4(host);
  return {
    proxy: {
      commonName: `admin.${settings.domain}`,
      dnsNames: [settings.domain, `*.${settings.domain}`, `admin.${settings.domain}`],
      ips: [],
      days: SERVER_CERT_DAYS,
    },
    registry: {
      commonName: host,
      dnsNames: [...(hostIsIp ? [] : [host]), 'registry', 'localhost'],
      ips: [...(hostIsIp ? [host] : []), '127.0.0.1'],
      days: SERVER_CERT_DAYS,
    },
  };
}

/** Which service must restart when a file under the data dir changed (by relative path). */
export function restartFor(path: string): ManagementService | undefined {
  // Dotfiles (conf.d/.gitignore) are for git, not for the service.
  if (path.split('/').at(-1)?.startsWith('.')) return undefined;
  if (path.startsWith('config/management/proxy/') || path.startsWith('pki/proxy/')) return 'proxy';
  if (path.startsWith('config/management/mariadb/')) return 'mariadb';
  if (path.startsWith('config/management/rabbitmq/')) return 'rabbitmq';
  if (path.startsWith('config/management/postgres/')) return 'postgres';
  if (path.startsWith('config/management/redis/')) return 'redis';
  if (path.startsWith('pki/registry/')) return 'registry';
  return undefined;
}

class Recorder {
  readonly changes: InitChange[] = [];
  constructor(private readonly layout: PlatformLayout) {}
  add(path: string, action: ChangeAction, why?: string): void {
    this.changes.push({ path: relative(this.layout.dataDir, path), action, ...(why ? { why } : {}) });
  }
}

async function ensureDirs(layout: PlatformLayout): Promise<void> {
  const dirs: [string, number][] = [
    [layout.dataDir, 0o755],
    [layout.configDir, 0o755],
    [layout.managementDir, 0o755],
    [layout.appsDir, 0o755],
    [layout.secretsDir, 0o700],
    [layout.appSecretsDir, 0o700],
    [layout.pkiDir, 0o700],
    [layout.proxyTlsDir, 0o700],
    [layout.registryTlsDir, 0o700],
    [layout.publicDir, 0o755],
    [layout.registryDataDir, 0o755],
    [layout.mariadbDataDir, 0o755],
    [layout.rabbitmqDataDir, 0o755],
    [layout.postgresDataDir, 0o755],
    [layout.redisDataDir, 0o755],
    [layout.storageDir, 0o755],
  ];
  for (const [dir, mode] of dirs) {
    await mkdir(dir, { recursive: true, mode });
    // Only the dirs that hold secrets get their mode enforced; the services chown the others.
    if (mode === 0o700) await chmod(dir, mode);
  }
}

async function ensureSecret(path: string, rec: Recorder): Promise<Sensitive<string>> {
  const existing = await readIfExists(path);
  if (existing !== undefined) {
    if (existing.trim() === '')
      throw new MinicloudError('MC_PLATFORM_INVALID', `${path} is empty; delete it to have a new secret made`);
    if (((await stat(path)).mode & 0o777) !== 0o600) {
      await chmod(path, 0o600);
      rec.add(path, 'updated', 'mode 0600');
    } else rec.add(path, 'kept');
    return new Sensitive(existing.trim());
  }
  const secret = generateSecret();
  // 'wx': never overwrite, even if another init raced us here.
  await writeFile(path, `${secret.reveal()}\n`, { mode: 0o600, flag: 'wx' });
  rec.add(path, 'created');
  return secret;
}

async function ensureHtpasswd(
  layout: PlatformLayout,
  user: string,
  password: Sensitive<string>,
  rec: Recorder,
): Promise<void> {
  const existing = await readIfExists(layout.registryHtpasswd);
  if (existing !== undefined && htpasswdMatches(existing, user, password)) {
    rec.add(layout.registryHtpasswd, 'kept');
    return;
  }
  await writeFileAtomic(layout.registryHtpasswd, `${htpasswdLine(user, password)}\n`, 0o600);
  rec.add(
    layout.registryHtpasswd,
    existing === undefined ? 'created' : 'updated',
    existing === undefined ? undefined : 'did not match the registry password',
  );
}

async function ensureCa(layout: PlatformLayout, now: Date, rec: Recorder): Promise<CertAndKey> {
  const cert = await readIfExists(layout.caCert);
  const key = await readIfExists(layout.caKey);
  if (cert !== undefined && key !== undefined) {
    if (!keyMatchesCertificate(cert, new Sensitive(key)))
      throw new MinicloudError(
        'MC_PLATFORM_INVALID',
        `${layout.caCert} does not match ${layout.caKey}; restore the pair (a new CA must be trusted again by every node)`,
      );
    rec.add(layout.caCert, 'kept');
    return { cert, key: new Sensitive(key) };
  }
  if (cert !== undefined || key !== undefined)
    throw new MinicloudError(
      'MC_PLATFORM_INVALID',
      `only one of ${layout.caCert} and ${layout.caKey} exists; restore the other, or move both away to make a new CA`,
    );
  const ca = createCa(now);
  await writeFile(layout.caKey, ca.key.reveal(), { mode: 0o600, flag: 'wx' });
  await writeFileAtomic(layout.caCert, ca.cert, 0o644);
  rec.add(layout.caKey, 'created');
  rec.add(layout.caCert, 'created');
  return ca;
}

async function ensureServerCert(
  dir: string,
  ca: CertAndKey,
  request: CertRequest,
  now: Date,
  rec: Recorder,
): Promise<void> {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  const cert = await readIfExists(certPath);
  const key = await readIfExists(keyPath);
  const problem = certificateProblem(
    { cert, key: key === undefined ? undefined : new Sensitive(key) },
    request,
    ca.cert,
    now,
  );
  if (problem === undefined) {
    rec.add(certPath, 'kept');
    return;
  }
  const issued = issueCertificate(ca, request, now);
  await writeFileAtomic(keyPath, issued.key.reveal(), 0o600);
  await writeFileAtomic(certPath, issued.cert, 0o644);
  const action = cert === undefined ? 'created' : 'updated';
  rec.add(keyPath, action, problem === 'missing' ? undefined : problem);
  rec.add(certPath, action, problem === 'missing' ? undefined : problem);
}

/**
 * admin.conf names admin.<domain>'s own certificate (the API replaces it with the ACME
 * server's when ACME is on, as for an app domain): until the API has put one there, a copy of
 * the proxy's, so that nginx starts. One that is there is the API's to keep.
 */
async function ensureAdminCert(layout: PlatformLayout, domain: string, rec: Recorder): Promise<void> {
  const dir = join(layout.proxyTlsDir, DOMAINS_DIR, `admin.${domain}`);
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  if ((await readIfExists(certPath)) !== undefined && (await readIfExists(keyPath)) !== undefined) {
    rec.add(certPath, 'kept');
    return;
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(keyPath, await readFile(join(layout.proxyTlsDir, 'tls.key'), 'utf8'), 0o600);
  await writeFileAtomic(certPath, await readFile(join(layout.proxyTlsDir, 'tls.crt'), 'utf8'), 0o644);
  rec.add(keyPath, 'created');
  rec.add(certPath, 'created');
}

/** Writes text unless the file already holds it. */
async function ensureText(path: string, text: string, mode: number, rec: Recorder): Promise<void> {
  const existing = await readIfExists(path);
  if (existing === text) {
    rec.add(path, 'kept');
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text, mode);
  rec.add(path, existing === undefined ? 'created' : 'updated');
}

async function readPlatformFile(path: string): Promise<PlatformFile | undefined> {
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as PlatformFile;
  } catch {
    throw new MinicloudError('MC_PLATFORM_INVALID', `${path} is not valid JSON`);
  }
}

/**
 * An older minicloud over a newer one's data dir could undo its migrations (or not read them):
 * refused before anything is written. The same version or a newer one goes ahead.
 */
function refuseDowngrade(previous: PlatformFile | undefined, version: string, file: string): void {
  const installed = previous?.minicloudVersion;
  if (installed === undefined || compareVersions(installed, version) <= 0) return;
  throw new MinicloudError(
    'MC_PLATFORM_DOWNGRADE',
    `this platform was installed by minicloud ${installed} (${file}) and this is minicloud ${version}: ` +
      `a downgrade is refused. Run install/install.sh from a checkout of minicloud ${installed} or newer`,
  );
}

export async function initPlatform(settings: PlatformSettings, options: InitOptions = {}): Promise<InitReport> {
  const layout = platformLayout(settings.dataDir);
  const version = options.version ?? platformVersion();
  const previous = await readPlatformFile(layout.platformFile);
  refuseDowngrade(previous, version, layout.platformFile);
  const now = options.now ?? new Date();
  const rec = new Recorder(layout);
  const templates = await loadTemplates(options.templatesDir);
  const replicas = serviceReplicas(await readReplicaInputs(layout));
  const rendered = renderManagementFiles(templates, settings, replicas);

  await ensureDirs(layout);
  // A service rendered stopped is idle: the API then knows there is nothing in it to look for.
  await markIdleServices(layout.servicesStateFile, replicas);
  const secrets = new Map<string, Sensitive<string>>();
  for (const name of PLATFORM_SECRETS) secrets.set(name, await ensureSecret(layout.secret[name], rec));
  await ensureHtpasswd(layout, settings.registryUser, secrets.get('registry-password')!, rec);
  await ensureText(layout.registryConfig, registryConfigYaml(secrets.get('registry-notify-token')!), 0o600, rec);

  const ca = await ensureCa(layout, now, rec);
  const requests = certificateRequests(settings);
  await ensureServerCert(layout.proxyTlsDir, ca, requests.proxy, now, rec);
  await ensureServerCert(layout.registryTlsDir, ca, requests.registry, now, rec);
  await ensureAdminCert(layout, settings.domain, rec);
  await ensureText(join(layout.publicDir, 'ca.crt'), ca.cert, 0o644, rec);
  const joinScript = options.joinScript ?? defaultJoinScript();
  const script = await readIfExists(joinScript);
  if (script === undefined) throw new MinicloudError('MC_PLATFORM_INVALID', `join script ${joinScript} not found`);
  await ensureText(join(layout.publicDir, 'join-worker.sh'), script, 0o755, rec);

  const hashes: Record<string, string> = {};
  for (const [name, text] of Object.entries(rendered)) {
    const path = join(layout.managementDir, name);
    const existing = await readIfExists(path);
    const ours = previous?.rendered[name];
    hashes[name] = sha256Hex(text);
    if (existing === text) {
      rec.add(path, 'kept');
    } else if (existing === undefined || ours === undefined || sha256Hex(existing) === ours) {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, text, 0o644);
      rec.add(path, existing === undefined ? 'created' : 'updated');
    } else {
      // Edited by hand since we last wrote it: keep the edit, offer ours beside it, and
      // remember the hash of what is deployed so the next run still sees the edit.
      await writeFileAtomic(`${path}.minicloud-new`, text, 0o644);
      hashes[name] = ours;
      rec.add(path, 'customized', `edited by hand; the new version is ${name}.minicloud-new`);
    }
  }
  const configDocs: Record<string, string> = {};
  for (const name of Object.keys(CONFIG_DOCS)) {
    const doc = await ensureConfigDoc(layout.configDir, name, previous?.configDocs?.[name]);
    if (doc.hash) configDocs[name] = doc.hash;
    rec.add(doc.path, doc.action, doc.action === 'customized' ? 'written by hand: kept as it is' : undefined);
  }
  const platformFile: PlatformFile = { version: 1, minicloudVersion: version, settings, rendered: hashes, configDocs };
  const platformText = `${JSON.stringify(JSON.parse(canonicalJson(platformFile)), null, 2)}\n`;
  await ensureText(layout.platformFile, platformText, 0o644, rec);

  const restart = new Set<ManagementService>();
  for (const change of rec.changes) {
    if (change.action !== 'created' && change.action !== 'updated') continue;
    const service = restartFor(change.path);
    if (service) restart.add(service);
  }
  return { changes: rec.changes, restart: [...restart].sort() };
}

/** The settings an earlier init recorded; MC_PLATFORM_NOT_FOUND when there was none. */
export async function loadPlatformSettings(dataDir: string): Promise<PlatformSettings> {
  const layout = platformLayout(dataDir);
  const file = await readPlatformFile(layout.platformFile);
  if (!file)
    throw new MinicloudError(
      'MC_PLATFORM_NOT_FOUND',
      `no minicloud platform in ${dataDir} (${layout.platformFile} is missing): run install/install.sh, or pass --data-dir`,
    );
  // Settings added since a platform was installed take their defaults (its behaviour then).
  return {
    engineSocket: DEFAULT_ENGINE_SOCKET,
    nodeSocket: DEFAULT_ENGINE_SOCKET,
    nodeAgentImage: '',
    ...ACME_OFF,
    ...file.settings,
    // Services added since: their need kinds' images for the platform's mode.
    images: { ...laterImages(file.settings.imagesMode), ...file.settings.images },
  };
}
