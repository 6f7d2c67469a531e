import type { CertificateStore } from '../apps/certificates.js';
import { AcmeOrderError, type CertificateOrderer } from './issuer.js';
import { describeAcmeProblem, type DnsFinding } from './problems.js';
import { afterFailure, afterSuccess, DEFAULT_RENEWAL_SCHEDULE, isOrderDue, type SchedulePolicy } from './schedule.js';

// The background job that keeps every routed domain's certificate from the ACME server: it
// runs in the API process, looks at each domain's state every `intervalMs` (and at once when
// woken: a domain was just routed), orders the ones the schedule says are due, one at a time,
// and has the proxy serve each new certificate (the proxy's checked, graceful reload). A
// domain whose order fails keeps the certificate it has, gets its error recorded and waits
// its back-off; the next domain is ordered regardless, and routing never waits for any of it.

export interface RenewerDeps {
  /** Every host name the proxy serves with a certificate of the store: app domains, admin.<base>. */
  domains(): Promise<string[]>;
  store: Pick<CertificateStore, 'state' | 'saveState' | 'saveIssued'>;
  orderer: CertificateOrderer;
  /** Has the proxy serve the store's certificates now (AppManager.refreshCertificates). */
  refresh(): Promise<void>;
  /** What DNS says of a domain, for the error message of a failed order. */
  lookUp?(domain: string): Promise<DnsFinding>;
  policy?: SchedulePolicy;
  now?: () => Date;
  log?: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

export interface RenewerOptions {
  intervalMs?: number;
}

export class CertificateRenewer {
  readonly #deps: RenewerDeps;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  /** Until start(), wakes do nothing: the API is not answering challenges yet. */
  #started = false;
  #stopped = false;

  constructor(deps: RenewerDeps, options: RenewerOptions = {}) {
    this.#deps = deps;
    this.#intervalMs = options.intervalMs ?? 30_000;
  }

  start(): void {
    this.#started = true;
    this.#stopped = false;
    this.wake();
  }

  /** A pass now (or right after the one under way): a domain was routed. */
  wake(): void {
    if (!this.#started || this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.pass()
      .then(() => undefined)
      .catch((error: Error) =>
        this.#deps.log?.warn({ reason: error.message }, `certificate pass failed: ${error.message}`),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else this.#timer = setTimeout(() => this.wake(), this.#intervalMs).unref();
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** One look at every domain; orders those due. Resolves the domains that got a new certificate. */
  async pass(): Promise<string[]> {
    const now = this.#deps.now ?? (() => new Date());
    const policy = this.#deps.policy ?? DEFAULT_RENEWAL_SCHEDULE;
    const issued: string[] = [];
    for (const domain of await this.#deps.domains()) {
      if (this.#stopped) break;
      const state = await this.#deps.store.state(domain);
      if (!isOrderDue(state, now(), policy)) continue;
      try {
        const cert = await this.#deps.orderer.order(domain);
        // Removed while its order ran: its certificate directory is gone, and stays gone.
        if (!(await this.#deps.domains()).includes(domain)) continue;
        await this.#deps.store.saveIssued(
          domain,
          cert.certificatePem,
          cert.privateKeyPem,
          afterSuccess(await this.#deps.store.state(domain), now(), cert.notAfter),
        );
        issued.push(domain);
        this.#deps.log?.info(
          { domain, notAfter: cert.notAfter.toISOString() },
          `certificate for ${domain} issued by the ACME server`,
        );
        // Served at once: one domain's certificate does not wait for the others' orders.
        await this.#deps.refresh();
      } catch (error) {
        const message = await this.#describe(domain, error as Error);
        await this.#deps.store.saveState(domain, afterFailure(await this.#deps.store.state(domain), now(), message));
        this.#deps.log?.warn({ domain, reason: message }, `certificate for ${domain} not issued: ${message}`);
      }
    }
    return issued;
  }

  async #describe(domain: string, error: Error): Promise<string> {
    if (!(error instanceof AcmeOrderError)) return `the certificate could not be installed: ${error.message}`;
    const dns = await this.#deps.lookUp?.(domain).catch(() => undefined);
    return describeAcmeProblem(domain, error.problem, dns);
  }
}
