import { MinicloudError, type ErrorDetail } from '../errors.js';
import { POSTGRES_IMAGES } from '../needs/postgres/service.js';
import { REDIS_IMAGES } from '../needs/redis/service.js';

// The install settings: what `platform init` is told, what config/platform.json records and
// what every template is rendered from. Every value ends up in YAML, nginx config or a shell
// command line, so each is checked against a strict pattern here, once, before any is used.

export const MANAGEMENT_SERVICES = ['proxy', 'registry', 'mariadb', 'rabbitmq', 'postgres', 'redis', 'api'] as const;
export type ManagementService = (typeof MANAGEMENT_SERVICES)[number];

/** Services added after the first release: platform.json files and `--image` lists may lack them. */
export const LATER_SERVICES = ['postgres', 'redis'] as const;
export type LaterService = (typeof LATER_SERVICES)[number];

/** The images a later service runs when none is named: its need kind's image for the mode. */
export function laterImages(mode: ImagesMode): Record<LaterService, string> {
  return { postgres: POSTGRES_IMAGES[mode], redis: REDIS_IMAGES[mode] };
}

/** The images as given to platformSettings: the later services' may be left out. */
export type ImagesInput = Omit<Record<ManagementService, string>, LaterService> & Partial<Record<LaterService, string>>;

export type ImagesMode = 'hub' | 'debian';
export type EndpointMode = 'vip' | 'dnsrr';

export interface PlatformSettings {
  dataDir: string;
  /** Base domain: the admin app answers on admin.<domain>, apps on <app>.<domain>. */
  domain: string;
  /** host:port of the private registry as nodes reach it, e.g. 10.0.0.5:5443. */
  registryAddr: string;
  endpointMode: EndpointMode;
  imagesMode: ImagesMode;
  /** The image each management service runs (the registry clean-up job runs the api image). */
  images: Record<ManagementService, string>;
  registryUser: string;
  rabbitmqUser: string;
  /** Tags kept per repository by the registry clean-up besides the deployed ones. */
  registryKeep: number;
  /**
   * The engine's unix socket on the manager, mounted into the API and the CLI: Docker's
   * default, or another engine's when several run on one machine (the test swarm's does).
   */
  engineSocket: string;
  /**
   * Each node's own engine socket, as the node agents (one per node) mount it: Docker's default
   * on real machines; the test swarm's hosts each see their own at one path of their own.
   */
  nodeSocket: string;
  /**
   * The node agents' image: the proxy's, under a name in the platform's registry, where every
   * node can pull it (install.sh pushes it there); empty means the proxy's image as it is.
   */
  nodeAgentImage: string;
  /**
   * The ACME account's e-mail: set, every routed domain and admin.<domain> get certificates
   * from the ACME server at acmeDirectory; empty (the default), the platform CA's serve.
   */
  acmeEmail: string;
  /** The ACME server's directory URL; empty means Let's Encrypt's production directory. */
  acmeDirectory: string;
  /** A CA bundle inside the data dir to trust for the ACME server (a private or test one); empty: none. */
  acmeCaFile: string;
}

/** Let's Encrypt's production directory, the default when ACME is on. */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** The settings platforms installed before ACME existed had: ACME off. */
export const ACME_OFF = { acmeEmail: '', acmeDirectory: '', acmeCaFile: '' } as const;

/** Where Docker's engine listens unless told otherwise; platforms installed before the setting had it. */
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

const DATA_DIR = /^\/[A-Za-z0-9._/-]*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const IMAGE = /^[a-z0-9][a-z0-9._/:@-]{0,254}$/;
const USER = /^[a-z][a-z0-9_-]{0,31}$/;
// Conservative: the address goes into a JSON file, a shell command line and the CA's records.
const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/;

export function isDnsName(text: string): boolean {
  return text.length <= 253 && text.split('.').every((label) => LABEL.test(label));
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** Splits host:port; undefined when either part is malformed. */
export function splitHostPort(addr: string): { host: string; port: number } | undefined {
  const m = /^([^:]+):([0-9]{1,5})$/.exec(addr);
  if (!m) return undefined;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port < 1 || port > 65535 || !(isIpv4(host) || isDnsName(host))) return undefined;
  return { host, port };
}

function problems(s: PlatformSettings): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const bad = (path: string, message: string) => out.push({ path, message });
  if (!DATA_DIR.test(s.dataDir) || s.dataDir === '/' || s.dataDir.split('/').some((p) => p === '..' || p === '.'))
    bad('dataDir', 'must be an absolute path of letters, digits, ".", "_", "-" and "/", without "." or ".." parts');
  if (!isDnsName(s.domain) || !s.domain.includes('.'))
    bad('domain', 'must be a DNS name with at least two labels, such as example.com');
  if (!splitHostPort(s.registryAddr))
    bad('registryAddr', 'must be host:port, where host is an IPv4 address or a DNS name');
  if (s.endpointMode !== 'vip' && s.endpointMode !== 'dnsrr') bad('endpointMode', 'must be vip or dnsrr');
  if (s.imagesMode !== 'hub' && s.imagesMode !== 'debian') bad('imagesMode', 'must be hub or debian');
  for (const service of MANAGEMENT_SERVICES) {
    const image = s.images?.[service];
    if (typeof image !== 'string' || !IMAGE.test(image))
      bad(`images.${service}`, 'must be an image reference such as nginx:1.27');
  }
  if (!USER.test(s.registryUser)) bad('registryUser', 'must be a lower-case user name');
  if (!USER.test(s.rabbitmqUser)) bad('rabbitmqUser', 'must be a lower-case user name');
  if (!DATA_DIR.test(s.engineSocket) || s.engineSocket.split('/').some((p) => p === '..' || p === '.'))
    bad(
      'engineSocket',
      'must be an absolute path of letters, digits, ".", "_", "-" and "/", without "." or ".." parts',
    );
  if (!DATA_DIR.test(s.nodeSocket) || s.nodeSocket.split('/').some((p) => p === '..' || p === '.'))
    bad('nodeSocket', 'must be an absolute path of letters, digits, ".", "_", "-" and "/", without "." or ".." parts');
  if (s.nodeAgentImage !== '' && !IMAGE.test(s.nodeAgentImage))
    bad('nodeAgentImage', 'must be an image reference such as 10.0.0.5:5443/minicloud/node-agent:1');
  if (s.acmeEmail !== '' && !EMAIL.test(s.acmeEmail))
    bad('acmeEmail', 'must be an e-mail address such as ops@example.com');
  if (s.acmeDirectory !== '' && !HTTPS_URL.test(s.acmeDirectory))
    bad('acmeDirectory', 'must be an https:// URL such as https://acme-staging-v02.api.letsencrypt.org/directory');
  if (s.acmeDirectory !== '' && s.acmeEmail === '') bad('acmeDirectory', 'needs acmeEmail (ACME is off without it)');
  if (s.acmeCaFile !== '') {
    const inside = s.acmeCaFile.startsWith(`${s.dataDir}/`);
    if (!DATA_DIR.test(s.acmeCaFile) || s.acmeCaFile.split('/').some((p) => p === '..' || p === '.') || !inside)
      bad('acmeCaFile', `must be a file inside the data dir (${s.dataDir}/...), where the API can read it`);
    if (s.acmeEmail === '') bad('acmeCaFile', 'needs acmeEmail (ACME is off without it)');
  }
  if (!Number.isInteger(s.registryKeep) || s.registryKeep < 0 || s.registryKeep > 100)
    bad('registryKeep', 'must be a whole number from 0 to 100');
  return out;
}

/** Fills defaults and checks every field; throws MC_PLATFORM_INVALID naming each bad one. */
export function platformSettings(
  input: Partial<Omit<PlatformSettings, 'images'>> &
    Pick<PlatformSettings, 'dataDir' | 'registryAddr'> & {
      images: ImagesInput;
    },
): PlatformSettings {
  const settings: PlatformSettings = {
    domain: 'minicloud.localhost',
    endpointMode: 'vip',
    imagesMode: 'hub',
    registryUser: 'minicloud',
    rabbitmqUser: 'minicloud',
    registryKeep: 3,
    engineSocket: DEFAULT_ENGINE_SOCKET,
    nodeSocket: DEFAULT_ENGINE_SOCKET,
    nodeAgentImage: '',
    ...ACME_OFF,
    ...input,
    images: { ...laterImages(input.imagesMode === 'debian' ? 'debian' : 'hub'), ...input.images },
  };
  const found = problems(settings);
  if (found.length > 0) {
    throw new MinicloudError(
      'MC_PLATFORM_INVALID',
      `invalid platform settings: ${found.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      found,
    );
  }
  // ACME on with no directory named: Let's Encrypt's production one.
  if (settings.acmeEmail !== '' && settings.acmeDirectory === '') settings.acmeDirectory = LETS_ENCRYPT_DIRECTORY;
  return settings;
}
