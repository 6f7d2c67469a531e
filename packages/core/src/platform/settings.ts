import { MinicloudError, type ErrorDetail } from '../errors.js';

// The install settings: what `platform init` is told, what config/platform.json records and
// what every template is rendered from. Every value ends up in YAML, nginx config or a shell
// command line, so each is checked against a strict pattern here, once, before any is used.

export const MANAGEMENT_SERVICES = ['proxy', 'registry', 'mariadb', 'rabbitmq', 'api'] as const;
export type ManagementService = (typeof MANAGEMENT_SERVICES)[number];

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
}

/** Where Docker's engine listens unless told otherwise; platforms installed before the setting had it. */
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

const DATA_DIR = /^\/[A-Za-z0-9._/-]*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const IMAGE = /^[a-z0-9][a-z0-9._/:@-]{0,254}$/;
const USER = /^[a-z][a-z0-9_-]{0,31}$/;

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
  if (!Number.isInteger(s.registryKeep) || s.registryKeep < 0 || s.registryKeep > 100)
    bad('registryKeep', 'must be a whole number from 0 to 100');
  return out;
}

/** Fills defaults and checks every field; throws MC_PLATFORM_INVALID naming each bad one. */
export function platformSettings(
  input: Partial<PlatformSettings> & Pick<PlatformSettings, 'dataDir' | 'registryAddr' | 'images'>,
): PlatformSettings {
  const settings: PlatformSettings = {
    domain: 'minicloud.localhost',
    endpointMode: 'vip',
    imagesMode: 'hub',
    registryUser: 'minicloud',
    rabbitmqUser: 'minicloud',
    registryKeep: 3,
    engineSocket: DEFAULT_ENGINE_SOCKET,
    ...input,
    images: { ...input.images },
  };
  const found = problems(settings);
  if (found.length > 0) {
    throw new MinicloudError(
      'MC_PLATFORM_INVALID',
      `invalid platform settings: ${found.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      found,
    );
  }
  return settings;
}
