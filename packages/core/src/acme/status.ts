import {
  nextOrderAt,
  DEFAULT_RENEWAL_SCHEDULE,
  type CertificateIssuer,
  type CertificateState,
  type SchedulePolicy,
} from './schedule.js';

/** A domain's certificate as `app show`, GET /v1/apps/{name} and the admin page report it. */
export interface DomainCertificateStatus {
  domain: string;
  /** acme: the ACME server's (Let's Encrypt); platform-ca: the platform's own CA; uploaded: the operator's. */
  issuer: CertificateIssuer;
  /** When the served certificate ends (ISO time), when known. */
  notAfter?: string;
  /** The last ACME order attempt (ISO time). */
  lastAttempt?: string;
  /** Why the last attempt failed; absent after a success. */
  lastError?: string;
  /** When the platform orders next (ISO time); absent when ACME is off or it never will (uploaded). */
  nextAttempt?: string;
}

/** What is reported of a domain's state: pure, so the reporting is tested with any clock. */
export function domainCertificateStatus(
  domain: string,
  state: CertificateState,
  acmeOn: boolean,
  policy: SchedulePolicy = DEFAULT_RENEWAL_SCHEDULE,
): DomainCertificateStatus {
  const next = acmeOn ? nextOrderAt(state, policy) : undefined;
  return {
    domain,
    issuer: state.issuer,
    ...(state.notAfter ? { notAfter: state.notAfter } : {}),
    ...(state.lastAttempt ? { lastAttempt: state.lastAttempt } : {}),
    ...(state.lastError ? { lastError: state.lastError } : {}),
    ...(next ? { nextAttempt: next.toISOString() } : {}),
  };
}
