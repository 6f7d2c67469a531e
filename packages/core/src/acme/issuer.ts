import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { dirname } from 'node:path';
import acme from 'acme-client';
import { Sensitive } from '../sensitive.js';
import { certificateNotAfter } from './certificate-state.js';
import type { ChallengeResponses } from './challenges.js';
import type { AcmeProblem } from './problems.js';

// Ordering one domain's certificate from an ACME server (RFC 8555) over HTTP-01, with the
// acme-client library doing the protocol (JWS, nonces and their retries, polling). The
// platform's part: the account key in the secrets dir, made once; the key authorization put
// where the API answers the CA's fetch (ChallengeResponses) only while the order runs; and
// the CA's complaint kept with its problem type, for a message the operator can act on.

export interface AcmeSettings {
  /** The ACME account's contact. */
  email: string;
  directoryUrl: string;
  /**
   * Reads the CA bundle (PEM) to trust for the ACME server besides the system's (a private or
   * test server), before each order: a bundle replaced on disk counts without a restart.
   */
  caPem?: (() => Promise<string>) | undefined;
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: Sensitive<string>;
  notAfter: Date;
}

/** An order that failed, with what the CA said (its problem type when it gave one). */
export class AcmeOrderError extends Error {
  constructor(readonly problem: AcmeProblem) {
    super(problem.detail);
  }
}

/** The ACME account key: read, or made once (never overwritten, even by a racing start). */
export async function ensureAccountKey(file: string): Promise<Sensitive<string>> {
  try {
    return new Sensitive(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return new Sensitive(await readFile(file, 'utf8'));
}

export interface CertificateOrderer {
  order(domain: string): Promise<IssuedCertificate>;
}

export class AcmeIssuer implements CertificateOrderer {
  readonly #settings: AcmeSettings;
  readonly #accountKey: Sensitive<string>;
  readonly #challenges: ChallengeResponses;
  /** The client with its account registered; made again when the CA no longer knows the account. */
  #client: Promise<acme.Client> | undefined;
  #trusted: string | undefined;

  constructor(settings: AcmeSettings, accountKey: Sensitive<string>, challenges: ChallengeResponses) {
    this.#settings = settings;
    this.#accountKey = accountKey;
    this.#challenges = challenges;
  }

  /** acme-client talks through one axios instance of its own: the bundle is trusted there, with the system's roots. */
  async #trustBundle(): Promise<void> {
    if (!this.#settings.caPem) return;
    const pem = await this.#settings.caPem();
    if (pem === this.#trusted) return;
    acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, pem], keepAlive: true });
    this.#trusted = pem;
  }

  /** A client whose account is registered (or found again: the key names it). */
  #registered(): Promise<acme.Client> {
    this.#client ??= (async () => {
      const client = new acme.Client({
        directoryUrl: this.#settings.directoryUrl,
        accountKey: this.#accountKey.reveal(),
        // Polls every 1-10 s rather than 5-30 s: a certificate is served sooner.
        backoffAttempts: 12,
        backoffMin: 1000,
        backoffMax: 10_000,
      });
      await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${this.#settings.email}`] });
      return client;
    })().catch((error: Error) => {
      this.#client = undefined;
      throw new AcmeOrderError({ detail: `registering the ACME account: ${error.message}` });
    });
    return this.#client;
  }

  async order(domain: string): Promise<IssuedCertificate> {
    await this.#trustBundle().catch((error: Error) => {
      throw new AcmeOrderError({ detail: `reading the ACME CA file: ${error.message}` });
    });
    let client = await this.#registered();
    let order: acme.Order;
    try {
      order = await client.createOrder({ identifiers: [{ type: 'dns', value: domain }] });
    } catch (error) {
      // An account the CA forgot (a test server restarted, an account deactivated): registered
      // again once, then the order is tried again.
      if (!/account/i.test((error as Error).message)) throw new AcmeOrderError({ detail: (error as Error).message });
      this.#client = undefined;
      client = await this.#registered();
      try {
        order = await client.createOrder({ identifiers: [{ type: 'dns', value: domain }] });
      } catch (again) {
        throw new AcmeOrderError({ detail: (again as Error).message });
      }
    }
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeOrderError({ detail: `the CA offers no http-01 challenge for ${domain}` });
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      this.#challenges.add(domain, challenge.token, keyAuthorization);
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } catch (error) {
        throw new AcmeOrderError(await this.#challengeProblem(order, error as Error));
      } finally {
        this.#challenges.remove(challenge.token);
      }
    }
    try {
      const [key, csr] = await acme.crypto.createCsr(
        { commonName: domain, altNames: [domain] },
        await acme.crypto.createPrivateEcdsaKey('P-256'),
      );
      const finalized = await client.finalizeOrder(order, csr);
      const certificatePem = await client.getCertificate(finalized);
      const notAfter = certificateNotAfter(certificatePem);
      if (!notAfter) throw new Error('the CA sent a certificate that cannot be read');
      return { certificatePem, privateKeyPem: new Sensitive(key.toString()), notAfter };
    } catch (error) {
      throw new AcmeOrderError({ detail: (error as Error).message });
    }
  }

  /** The failed challenge's problem as the CA recorded it (type and detail), else the error's words. */
  async #challengeProblem(order: acme.Order, error: Error): Promise<AcmeProblem> {
    try {
      const client = await this.#registered();
      for (const authz of await client.getAuthorizations(order)) {
        for (const c of authz.challenges) {
          const problem = (c as { error?: { type?: string; detail?: string } }).error;
          if (problem) return { type: problem.type, detail: problem.detail ?? error.message };
        }
      }
    } catch {
      // The error in hand says enough.
    }
    return { detail: error.message };
  }
}
