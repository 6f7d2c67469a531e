import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Sensitive } from '../sensitive.js';
import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import { issueCertificate, type CertAndKey } from '../platform/pki.js';
import { certificateNotAfter, inferCertificateState, parseCertificateState } from '../acme/certificate-state.js';
import type { CertificateState } from '../acme/schedule.js';
import { checkUploadedCertificate } from './certificate-check.js';
import type { CertificateFiles } from './ports.js';

/** How long a certificate the platform CA issues for an app domain is valid. */
const APP_CERT_DAYS = 397;

const STATE_FILE = 'state.json';

/**
 * Each routed domain's certificate and key, kept in the secrets dir: one the operator
 * uploaded, one the ACME server issued, or else one the platform CA issues the first time the
 * domain is routed. Beside them, state.json says which it is and how ordering from the ACME
 * server went (domains routed before it existed get one inferred from their certificate).
 */
export class CertificateStore {
  /**
   * A certificate and its key are two files: a read between the writes of a renewal would pair
   * the new key with the old certificate (and the proxy's nginx -t would refuse it). Reads and
   * writes of one domain's pair take turns (the API is the one process that does either).
   */
  readonly #turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dir: string,
    private readonly ca: () => Promise<CertAndKey>,
  ) {}

  #inTurn<T>(domain: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#turns.get(domain) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    this.#turns.set(domain, settled);
    void settled.then(() => {
      if (this.#turns.get(domain) === settled) this.#turns.delete(domain);
    });
    return run;
  }

  private paths(domain: string) {
    const dir = join(this.dir, domain);
    return { dir, cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), state: join(dir, STATE_FILE) };
  }

  private read(domain: string): Promise<CertificateFiles | undefined> {
    const p = this.paths(domain);
    return this.#inTurn(domain, async () => {
      const [cert, key] = await Promise.all([
        readFile(p.cert, 'utf8').catch(() => undefined),
        readFile(p.key, 'utf8').catch(() => undefined),
      ]);
      return cert !== undefined && key !== undefined
        ? { certificatePem: cert, privateKeyPem: new Sensitive(key) }
        : undefined;
    });
  }

  /**
   * The certificate the proxy serves for the domain. With ACME off (`acme: false`), one the
   * ACME server issued earlier gives way to the platform CA's: nothing would renew it.
   */
  async get(domain: string, options: { acme?: boolean } = {}): Promise<CertificateFiles> {
    const stored = await this.read(domain);
    if (stored && (options.acme !== false || (await this.state(domain)).issuer !== 'acme')) return stored;
    const issued = issueCertificate(await this.ca(), {
      commonName: domain,
      dnsNames: [domain],
      ips: [],
      days: APP_CERT_DAYS,
    });
    await this.save(domain, issued.cert, issued.key);
    const notAfter = certificateNotAfter(issued.cert);
    await this.saveState(domain, {
      ...(await this.state(domain)),
      issuer: 'platform-ca',
      ...(notAfter ? { notAfter: notAfter.toISOString() } : {}),
    });
    return { certificatePem: issued.cert, privateKeyPem: issued.key };
  }

  /**
   * The domain's certificate state: its state.json, or for a domain routed before that file
   * existed, what its certificate says (platform CA or uploaded). A domain with no certificate
   * yet is the platform CA's (get() issues one).
   */
  async state(domain: string): Promise<CertificateState> {
    const p = this.paths(domain);
    const text = await readIfExists(p.state);
    const parsed = text === undefined ? undefined : parseCertificateState(text);
    if (parsed) return parsed;
    const cert = await readIfExists(p.cert);
    if (cert === undefined) return { issuer: 'platform-ca', failures: 0, orders: 0 };
    // Routed before state files existed: inferred once, and written, so it is not read again.
    const inferred = inferCertificateState(cert, (await this.ca()).cert);
    await this.saveState(domain, inferred);
    return inferred;
  }

  async saveState(domain: string, state: CertificateState): Promise<void> {
    await mkdir(this.paths(domain).dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.paths(domain).state, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  /** A certificate the ACME server issued, with the state that says so. */
  async saveIssued(
    domain: string,
    certificatePem: string,
    key: Sensitive<string>,
    state: CertificateState,
  ): Promise<void> {
    await this.save(domain, certificatePem, key);
    await this.saveState(domain, state);
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
    const stateBefore = before ? await this.state(domain) : undefined;
    await this.save(domain, certificatePem, privateKeyPem);
    const notAfter = certificateNotAfter(certificatePem);
    // Never replaced by ACME (the schedule skips 'uploaded'); the order count stays, for rate limits.
    await this.saveState(domain, {
      issuer: 'uploaded',
      ...(notAfter ? { notAfter: notAfter.toISOString() } : {}),
      failures: 0,
      orders: stateBefore?.orders ?? 0,
    });
    return before && stateBefore
      ? async () => {
          await this.save(domain, before.certificatePem, before.privateKeyPem);
          await this.saveState(domain, stateBefore);
        }
      : () => this.remove(domain);
  }

  async remove(domain: string): Promise<void> {
    await rm(join(this.dir, domain), { recursive: true, force: true });
  }

  private save(domain: string, cert: string, key: Sensitive<string>): Promise<void> {
    const p = this.paths(domain);
    return this.#inTurn(domain, async () => {
      await mkdir(p.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(p.cert, cert, 0o644);
      await writeFileAtomic(p.key, key.reveal(), 0o600);
    });
  }
}
