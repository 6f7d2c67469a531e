import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppManager } from '../apps/manager.js';
import { MinicloudError } from '../errors.js';
import { loadPlatformSettings } from '../platform/init.js';
import { platformLayout } from '../platform/layout.js';
import { isIpv4, splitHostPort } from '../platform/settings.js';
import { ChallengeResponses } from './challenges.js';
import { lookUpDomain } from './dns-check.js';
import { AcmeIssuer, ensureAccountKey } from './issuer.js';
import { CertificateRenewer, type RenewerDeps } from './renewer.js';

/** The ACME account key, made once: in the secrets dir, so the platform backup holds it. */
export function acmeAccountKeyFile(dataDir: string): string {
  return join(platformLayout(dataDir).secretsDir, 'acme', 'account.key');
}

export interface PlatformAcme {
  challenges: ChallengeResponses;
  renewer: CertificateRenewer;
  directoryUrl: string;
}

/**
 * ACME for an installed platform, when its settings turn it on (acmeEmail): the account key,
 * the challenge answers the API serves, and the renewer over the app manager's domains.
 * Undefined when ACME is off. The renewer is not started: the caller starts and stops it.
 */
export async function openPlatformAcme(
  dataDir: string,
  apps: AppManager,
  options: { log?: RenewerDeps['log']; intervalMs?: number } = {},
): Promise<PlatformAcme | undefined> {
  const settings = await loadPlatformSettings(dataDir);
  if (settings.acmeEmail === '') return undefined;
  const caFile = settings.acmeCaFile;
  if (caFile !== '') {
    await readFile(caFile, 'utf8').catch((error: Error) => {
      throw new MinicloudError('MC_PLATFORM_INVALID', `the ACME CA file ${caFile} cannot be read: ${error.message}`);
    });
  }
  const caPem = caFile !== '' ? () => readFile(caFile, 'utf8') : undefined;
  const challenges = new ChallengeResponses();
  const accountKey = await ensureAccountKey(acmeAccountKeyFile(dataDir));
  const orderer = new AcmeIssuer(
    { email: settings.acmeEmail, directoryUrl: settings.acmeDirectory, caPem },
    accountKey,
    challenges,
  );
  // The address DNS should give for every domain: the one the swarm advertises, when it is an
  // IPv4 address (behind NAT it may not be the public one: the message then says so plainly).
  const host = splitHostPort(settings.registryAddr)?.host;
  const serverAddress = host !== undefined && isIpv4(host) ? host : undefined;
  const renewer = new CertificateRenewer(
    {
      domains: () => apps.certificateDomains(),
      store: apps.certificateStore,
      orderer,
      refresh: () => apps.refreshCertificates(),
      lookUp: (domain) => lookUpDomain(domain, serverAddress),
      ...(options.log ? { log: options.log } : {}),
    },
    options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {},
  );
  return { challenges, renewer, directoryUrl: settings.acmeDirectory };
}
