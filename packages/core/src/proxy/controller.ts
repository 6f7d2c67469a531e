import { relative, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import type { CertificateFiles, ProxyController } from '../apps/ports.js';
import { HOSTNAME_PATTERN } from '../compiler/settings.js';
import { engineMessage } from '../engine/client.js';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import { execInContainer } from '../engine/container-exec.js';
import { runThrowaway } from '../provision/container-run.js';
import {
  DOMAINS_DIR,
  pruneCertificates,
  readLiveProxyFiles,
  stageProxyFiles,
  swapProxyFiles,
} from '../provision/proxy-files.js';
import { planChangesConfig, planProxyChanges, type ProxyPlan } from '../provision/proxy-plan.js';
import { PROXY_SERVICE } from './proxy-peers.js';
import { renderProxyConfig, type ProxyRoute } from './render.js';

// The reverse proxy as the app lifecycle drives it: routes and certificates in, a running
// nginx serving exactly those out. Order matters, and is the point of this file:
//   plan (what files change) -> stage a full copy -> `nginx -t` on the copy, in a throwaway
//   container of the proxy's own image with the same mounts -> swap the files in atomically
//   -> `nginx -s reload` in the running proxy (graceful: in-flight requests finish on the old
//   workers). A configuration nginx refuses never reaches the live directory.

/** Where the management stack mounts the proxy's directories (stacks/management/minicloud.yml). */
export const PROXY_CONFIG_MOUNT = '/etc/nginx/minicloud';
export const PROXY_TLS_MOUNT = '/etc/nginx/tls';
const NGINX_CONF = `${PROXY_CONFIG_MOUNT}/nginx.conf`;
const SERVICE_LABEL = 'com.docker.swarm.service.name';

export interface NginxProxyControllerOptions {
  docker: Docker;
  /** The live config dir (nginx.conf + conf.d/), mounted at /etc/nginx/minicloud. */
  proxyDir: string;
  /** Its conf.d; default `<proxyDir>/conf.d`. Must be inside proxyDir. */
  proxyConfD?: string;
  /** The TLS dir (tls.crt|key + domains/<domain>/), mounted at /etc/nginx/tls. */
  proxyTlsDir: string;
  /** The proxy's swarm service; default `minicloud_proxy`. */
  serviceName?: string;
  /** The image to run `nginx -t` in; default the running proxy's image, else the service's. */
  image?: string;
  /** How long `nginx -t` may take; default 30 s. */
  checkTimeoutMs?: number;
  /** How long a reload may take to start the new workers; default 10 s. */
  reloadTimeoutMs?: number;
}

export interface ProxyApplyResult {
  /** Files written or deleted, relative to conf.d or the TLS dir. */
  changed: string[];
  /** Whether a running proxy was told to reload (false: nothing changed, or none is running). */
  reloaded: boolean;
}

const HOST = new RegExp(HOSTNAME_PATTERN);

/**
 * nginx's complaint as the operator needs to read it: without the closing "test failed" line
 * and without the time and pid that nginx.conf's `error_log /dev/stderr` puts before each line.
 */
function nginxComplaint(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim().replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /, '$1 '))
    .filter((l) => l !== '' && !/test failed$/.test(l));
  return lines.join('; ') || 'nginx -t failed without a message';
}

export class NginxProxyController implements ProxyController {
  readonly #docker: Docker;
  readonly #configDir: string;
  readonly #confD: string;
  readonly #tlsDir: string;
  readonly #service: string;
  readonly #image: string | undefined;
  readonly #checkTimeoutMs: number;
  readonly #reloadTimeoutMs: number;
  /** One apply at a time: two interleaved ones could each validate a state the other replaces. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: NginxProxyControllerOptions) {
    this.#docker = options.docker;
    this.#configDir = resolve(options.proxyDir);
    this.#confD = resolve(options.proxyConfD ?? `${this.#configDir}/conf.d`);
    const rel = relative(this.#configDir, this.#confD);
    if (rel === '' || rel.startsWith('..') || rel.includes(`..${sep}`)) {
      // nginx sees conf.d only through the mounted config dir.
      throw new MinicloudError('MC_PROXY', `proxyConfD ${this.#confD} must be inside proxyDir ${this.#configDir}`);
    }
    this.#tlsDir = resolve(options.proxyTlsDir);
    this.#service = options.serviceName ?? PROXY_SERVICE;
    this.#image = options.image;
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 30_000;
    this.#reloadTimeoutMs = options.reloadTimeoutMs ?? 10_000;
  }

  async apply(routes: readonly ProxyRoute[], certificates: ReadonlyMap<string, CertificateFiles>): Promise<void> {
    await this.reconcile(routes, certificates);
  }

  /** apply(), telling what changed and whether the proxy was reloaded. */
  reconcile(
    routes: readonly ProxyRoute[],
    certificates: ReadonlyMap<string, CertificateFiles>,
  ): Promise<ProxyApplyResult> {
    const run = this.#queue.then(() => this.#apply(routes, certificates));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(
    routes: readonly ProxyRoute[],
    certificates: ReadonlyMap<string, CertificateFiles>,
  ): Promise<ProxyApplyResult> {
    const confs = renderProxyConfig(routes, { certDir: `${PROXY_TLS_MOUNT}/${DOMAINS_DIR}` });
    checkCertificateDomains(certificates);
    const live = await readLiveProxyFiles(this.#confD, this.#tlsDir, certificates.keys());
    const plan = planProxyChanges(live, {
      confs,
      certificates,
      routedDomains: routes.flatMap((r) => r.domains),
    });
    const changed = [
      ...plan.writeCerts.map(([d]) => `${DOMAINS_DIR}/${d}`),
      ...plan.writeConfs.map(([n]) => n),
      ...plan.deleteConfs,
    ];
    let reloaded = false;
    if (planChangesConfig(plan)) {
      const proxy = await this.#runningProxy();
      await this.#check(plan, proxy?.image);
      await swapProxyFiles(plan, { confD: this.#confD, tlsDir: this.#tlsDir });
      if (proxy) {
        await this.#reload(proxy.id);
        reloaded = true;
      }
    }
    await pruneCertificates(plan, this.#tlsDir);
    return { changed: [...changed, ...plan.pruneCerts.map((d) => `${DOMAINS_DIR}/${d} (removed)`)], reloaded };
  }

  /** Stages the candidate files and runs `nginx -t` on them; throws MC_PROXY_INVALID with nginx's words. */
  async #check(plan: ProxyPlan, runningImage: string | undefined): Promise<void> {
    const image = this.#image ?? runningImage ?? (await this.#serviceImage());
    const staged = await stageProxyFiles(plan, {
      configDir: this.#configDir,
      confD: this.#confD,
      tlsDir: this.#tlsDir,
    });
    try {
      const result = await runThrowaway(this.#docker, {
        image,
        entrypoint: ['nginx'],
        cmd: ['-t', '-q', '-c', NGINX_CONF],
        // Exactly as the service mounts the live directories, so every path nginx reads matches.
        binds: [`${staged.configDir}:${PROXY_CONFIG_MOUNT}:ro`, `${staged.tlsDir}:${PROXY_TLS_MOUNT}:ro`],
        labels: { 'minicloud.role': 'proxy-check' },
        timeoutMs: this.#checkTimeoutMs,
      });
      if (result.exitCode !== 0) {
        throw new MinicloudError(
          'MC_PROXY_INVALID',
          `nginx refused the new proxy configuration: ${nginxComplaint(result.output)}`,
        );
      }
    } finally {
      await staged.remove();
    }
  }

  /** The running proxy task's container on this node (the manager), if any. */
  async #runningProxy(): Promise<{ id: string; image: string } | undefined> {
    const found = await this.#engine('find the proxy container', () =>
      this.#docker.listContainers({ filters: { label: [`${SERVICE_LABEL}=${this.#service}`], status: ['running'] } }),
    );
    const newest = found.sort((a, b) => b.Created - a.Created)[0];
    return newest ? { id: newest.Id, image: newest.ImageID } : undefined;
  }

  /** The image in the proxy service's spec, for when no task is running to copy it from. */
  async #serviceImage(): Promise<string> {
    const spec = (await this.#engine(`inspect service ${this.#service}`, () =>
      this.#docker.getService(this.#service).inspect(),
    )) as { Spec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } } };
    const image = spec.Spec?.TaskTemplate?.ContainerSpec?.Image;
    if (!image) throw new MinicloudError('MC_PROXY', `service ${this.#service} has no image in its spec`);
    return image;
  }

  /**
   * Graceful: the master starts workers on the new config, old workers finish their requests.
   * Resolves once the new workers run, so the new routes are served when the caller answers;
   * a master that kept its old workers (it could not apply the new config) is an error.
   */
  async #reload(containerId: string): Promise<void> {
    const before = await this.#workers(containerId);
    // -c: nginx finds the master's pid file through the config (pid /tmp/nginx.pid there).
    const result = await execInContainer(this.#docker, containerId, {
      cmd: ['nginx', '-s', 'reload', '-c', NGINX_CONF],
      mergeStderr: true,
    });
    if (result.exitCode !== 0) {
      throw new MinicloudError('MC_PROXY', `nginx -s reload failed in the proxy: ${nginxComplaint(result.stdout)}`);
    }
    const deadline = Date.now() + this.#reloadTimeoutMs;
    for (;;) {
      const now = await this.#workers(containerId);
      if (now.length > 0 && now.every((pid) => !before.includes(pid))) return;
      if (Date.now() > deadline) {
        throw new MinicloudError(
          'MC_PROXY',
          `nginx did not start workers on the new configuration within ${this.#reloadTimeoutMs / 1000} s; its log says why`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The pids of the proxy's current workers: not those of an earlier reload still finishing. */
  async #workers(containerId: string): Promise<string[]> {
    const top = (await this.#engine('list the proxy processes', () =>
      this.#docker.getContainer(containerId).top({ ps_args: '-eo pid,args' }),
    )) as { Processes?: string[][] };
    return (top.Processes ?? [])
      .filter((row) => /nginx: worker process/.test(row.join(' ')) && !/shutting down/.test(row.join(' ')))
      .map((row) => row[0]!);
  }

  async #engine<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new MinicloudError('MC_PROXY', `${what}: ${engineMessage(error)}`);
    }
  }
}

/** Certificate domains become directory names: only host names, never `..` or a slash. */
function checkCertificateDomains(certificates: ReadonlyMap<string, CertificateFiles>): void {
  const details: ErrorDetail[] = [...certificates.keys()]
    .filter((domain) => !HOST.test(domain))
    .map((domain) => ({ path: `certificates[${JSON.stringify(domain)}]`, message: 'must be a lowercase host name' }));
  if (details.length > 0)
    throw new MinicloudError('MC_PROXY_INVALID', 'a certificate names an invalid domain', details);
}
