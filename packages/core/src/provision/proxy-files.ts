import { cp, mkdir, mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { APP_CONF_PREFIX } from '../proxy/render.js';
import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import type { LiveProxyFiles, ProxyPlan } from './proxy-plan.js';

// The proxy's files on disk: reading what is live, staging a candidate copy for `nginx -t`,
// and swapping the checked files in. Only `app-*.conf` files in conf.d are ever written or
// deleted (admin.conf, 00-default.conf and nginx.conf belong to the platform), and certificates
// live in `<tls dir>/domains/<domain>/tls.crt|tls.key`.

export const DOMAINS_DIR = 'domains';

const isAppConf = (name: string) => name.startsWith(APP_CONF_PREFIX) && name.endsWith('.conf');

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function readLiveProxyFiles(
  confD: string,
  tlsDir: string,
  domains: Iterable<string>,
): Promise<LiveProxyFiles> {
  const confs: LiveProxyFiles['confs'] = {};
  for (const name of (await listDir(confD)).filter(isAppConf)) {
    const text = await readIfExists(join(confD, name));
    if (text !== undefined) confs[name] = text;
  }
  const certs: LiveProxyFiles['certs'] = {};
  for (const domain of domains) {
    const dir = join(tlsDir, DOMAINS_DIR, domain);
    certs[domain] = { cert: await readIfExists(join(dir, 'tls.crt')), key: await readIfExists(join(dir, 'tls.key')) };
  }
  return { confs, certs, certDomains: await listDir(join(tlsDir, DOMAINS_DIR)) };
}

async function writeConfs(plan: ProxyPlan, confD: string): Promise<void> {
  await mkdir(confD, { recursive: true });
  for (const [name, text] of plan.writeConfs) await writeFileAtomic(join(confD, name), text, 0o644);
  for (const name of plan.deleteConfs) await unlink(join(confD, name)).catch(() => undefined);
}

async function writeCerts(plan: ProxyPlan, tlsDir: string): Promise<void> {
  for (const [domain, files] of plan.writeCerts) {
    const dir = join(tlsDir, DOMAINS_DIR, domain);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(join(dir, 'tls.key'), files.privateKeyPem.reveal(), 0o600);
    await writeFileAtomic(join(dir, 'tls.crt'), files.certificatePem, 0o644);
  }
}

export interface StagedProxyFiles {
  /** A full copy of the proxy config dir with the plan applied: mount it where the live one goes. */
  configDir: string;
  /** A full copy of the TLS dir with the new certificates. */
  tlsDir: string;
  remove(): Promise<void>;
}

/**
 * Copies the live config and TLS dirs into hidden temporary dirs beside them (same file
 * system, and paths the Docker daemon can bind-mount, as the live ones) and applies the plan
 * there. Nothing live is touched. mkdtemp makes them 0700: the TLS copy holds private keys.
 */
export async function stageProxyFiles(
  plan: ProxyPlan,
  live: { configDir: string; confD: string; tlsDir: string },
): Promise<StagedProxyFiles> {
  const configDir = await mkdtemp(join(dirname(live.configDir), `.${basename(live.configDir)}-check-`));
  let tlsDir = '';
  const remove = async () => {
    await rm(configDir, { recursive: true, force: true });
    if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
  };
  try {
    tlsDir = await mkdtemp(join(dirname(live.tlsDir), `.${basename(live.tlsDir)}-check-`));
    await cp(live.configDir, configDir, { recursive: true });
    await cp(live.tlsDir, tlsDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await writeConfs(plan, join(configDir, live.confD.slice(live.configDir.length)));
    await writeCerts(plan, tlsDir);
  } catch (error) {
    await remove();
    throw error;
  }
  return { configDir, tlsDir, remove };
}

/**
 * Puts the checked files in place: certificates first, so that no configuration ever names a
 * certificate that is not there yet, then the app configs, then the deletions.
 */
export async function swapProxyFiles(plan: ProxyPlan, live: { confD: string; tlsDir: string }): Promise<void> {
  await writeCerts(plan, live.tlsDir);
  await writeConfs(plan, live.confD);
}

/** Removes certificate directories of domains nothing routes to any more (after the reload). */
export async function pruneCertificates(plan: ProxyPlan, tlsDir: string): Promise<void> {
  for (const domain of plan.pruneCerts) {
    await rm(join(tlsDir, DOMAINS_DIR, domain), { recursive: true, force: true });
  }
}
