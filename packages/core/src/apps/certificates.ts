import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Sensitive } from '../sensitive.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { issueCertificate, type CertAndKey } from '../platform/pki.js';
import { checkUploadedCertificate } from './certificate-check.js';
import type { CertificateFiles } from './ports.js';

/** How long a certificate the platform CA issues for an app domain is valid. */
const APP_CERT_DAYS = 397;

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

  private async read(domain: string): Promise<CertificateFiles | undefined> {
    const p = this.paths(domain);
    const [cert, key] = await Promise.all([
      readFile(p.cert, 'utf8').catch(() => undefined),
      readFile(p.key, 'utf8').catch(() => undefined),
    ]);
    return cert !== undefined && key !== undefined
      ? { certificatePem: cert, privateKeyPem: new Sensitive(key) }
      : undefined;
  }

  async get(domain: string): Promise<CertificateFiles> {
    const stored = await this.read(domain);
    if (stored) return stored;
    const issued = issueCertificate(await this.ca(), {
      commonName: domain,
      dnsNames: [domain],
      ips: [],
      days: APP_CERT_DAYS,
    });
    await this.save(domain, issued.cert, issued.key);
    return { certificatePem: issued.cert, privateKeyPem: issued.key };
  }

  /**
   * An operator's own certificate, checked (checkUploadedCertificate) and saved in place of the
   * domain's current one, if any. Resolves a step that puts back what was there before, for a
   * caller whose next step (the proxy's `nginx -t`) fails.
   */
  async upload(
    domain: string,
    certificatePem: string,
    privateKeyPem: Sensitive<string>,
    now: Date = new Date(),
  ): Promise<() => Promise<void>> {
    checkUploadedCertificate(domain, certificatePem, privateKeyPem, now);
    const before = await this.read(domain);
    await this.save(domain, certificatePem, privateKeyPem);
    return before ? () => this.save(domain, before.certificatePem, before.privateKeyPem) : () => this.remove(domain);
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
