import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { certificateInfo, issueCertificate, keyMatchesCertificate, type CertAndKey } from '../platform/pki.js';
import type { CertificateFiles } from './ports.js';

/** How long a certificate the platform CA issues for an app domain is valid. */
const APP_CERT_DAYS = 397;

/** Whether a certificate name (possibly `*.example.com`) covers a host name. */
export function nameCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const rest = host.slice(host.indexOf('.') + 1);
  return host.includes('.') && rest === pattern.slice(2);
}

/**
 * Each routed domain's certificate and key, kept in the secrets dir: one the operator
 * uploaded, or else one the platform CA issues the first time the domain is routed.
 */
export class CertificateStore {
  constructor(
    private readonly dir: string,
    private readonly ca: () => Promise<CertAndKey>,
  ) {}

  private paths(domain: string) {
    return { cert: join(this.dir, domain, 'tls.crt'), key: join(this.dir, domain, 'tls.key') };
  }

  async get(domain: string): Promise<CertificateFiles> {
    const p = this.paths(domain);
    const [cert, key] = await Promise.all([
      readFile(p.cert, 'utf8').catch(() => undefined),
      readFile(p.key, 'utf8').catch(() => undefined),
    ]);
    if (cert !== undefined && key !== undefined) return { certificatePem: cert, privateKeyPem: new Sensitive(key) };
    const issued = issueCertificate(await this.ca(), {
      commonName: domain,
      dnsNames: [domain],
      ips: [],
      days: APP_CERT_DAYS,
    });
    await this.save(domain, issued.cert, issued.key);
    return { certificatePem: issued.cert, privateKeyPem: issued.key };
  }

  /** An operator's own certificate: its key must match and it must name the domain. */
  async upload(domain: string, certificatePem: string, privateKeyPem: Sensitive<string>): Promise<void> {
    let names: string[];
    try {
      names = certificateInfo(certificatePem).dnsNames;
    } catch {
      throw new MinicloudError('MC_CERT_INVALID', 'the certificate is not a PEM X.509 certificate', [
        { path: 'certificate', message: 'is not a PEM certificate' },
      ]);
    }
    if (!keyMatchesCertificate(certificatePem, privateKeyPem)) {
      throw new MinicloudError('MC_CERT_INVALID', 'the private key does not belong to the certificate', [
        { path: 'privateKey', message: 'does not match the certificate' },
      ]);
    }
    if (!names.some((n) => nameCovers(n, domain))) {
      throw new MinicloudError(
        'MC_CERT_INVALID',
        `the certificate does not cover ${domain} (it names ${names.join(', ') || 'no host'})`,
        [{ path: 'certificate', message: `does not cover ${domain}` }],
      );
    }
    await this.save(domain, certificatePem, privateKeyPem);
  }

  async remove(domain: string): Promise<void> {
    await rm(join(this.dir, domain), { recursive: true, force: true });
  }

  private async save(domain: string, cert: string, key: Sensitive<string>): Promise<void> {
    const p = this.paths(domain);
    await mkdir(join(this.dir, domain), { recursive: true, mode: 0o700 });
    await writeFileAtomic(p.cert, cert, 0o644);
    await writeFileAtomic(p.key, key.reveal(), 0o600);
  }
}
