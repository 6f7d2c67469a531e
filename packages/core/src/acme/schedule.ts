// When a domain's certificate is to be ordered from the ACME server: a pure function of the
// domain's certificate state and the time, so the renewal window and the back-off can be
// tested with any clock. The renewer (renewer.ts) asks it about every routed domain.

/** Who issued the certificate a domain is served with. */
export type CertificateIssuer = 'acme' | 'platform-ca' | 'uploaded';

/** What is kept per domain next to its certificate (secrets/certs/<domain>/state.json). */
export interface CertificateState {
  issuer: CertificateIssuer;
  /** When the served certificate ends (ISO time); absent when unknown. */
  notAfter?: string;
  /** The last ACME order attempt, successful or not (ISO time). */
  lastAttempt?: string;
  /** Why the last attempt failed, in words an operator can act on; absent after a success. */
  lastError?: string;
  /** Failed attempts since the last success: the back-off grows with them. */
  failures: number;
  /** Certificates the ACME server issued for this domain so far (rate limits count these). */
  orders: number;
}

export interface SchedulePolicy {
  /** Renew this long before the certificate ends (Let's Encrypt's advice: 30 days of 90). */
  renewBeforeMs: number;
  /** The wait after the first failure; it doubles with each further one. */
  backoffBaseMs: number;
  /** The longest wait between two failed attempts. */
  backoffMaxMs: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_RENEWAL_SCHEDULE: SchedulePolicy = {
  renewBeforeMs: 30 * DAY_MS,
  backoffBaseMs: 60_000,
  backoffMaxMs: DAY_MS,
};

/** The wait after `failures` failed attempts in a row: base, 2 base, 4 base, ... up to max. */
export function backoffMs(failures: number, policy: SchedulePolicy = DEFAULT_RENEWAL_SCHEDULE): number {
  if (failures <= 0) return 0;
  // 2^40 minutes is far past any cap: no overflow to Infinity for a long-failing domain.
  const factor = 2 ** Math.min(failures - 1, 40);
  return Math.min(policy.backoffBaseMs * factor, policy.backoffMaxMs);
}

/**
 * When the domain's next order is due, or undefined for never (an operator's uploaded
 * certificate is never replaced). A platform-CA certificate is replaced as soon as possible; an
 * ACME one at notAfter - renewBefore. After failures, not before lastAttempt + backoff: the
 * later of the two times.
 */
export function nextOrderAt(
  state: CertificateState,
  policy: SchedulePolicy = DEFAULT_RENEWAL_SCHEDULE,
): Date | undefined {
  if (state.issuer === 'uploaded') return undefined;
  const notAfter = state.notAfter === undefined ? NaN : Date.parse(state.notAfter);
  let due = state.issuer === 'acme' && Number.isFinite(notAfter) ? notAfter - policy.renewBeforeMs : 0;
  const last = state.lastAttempt === undefined ? NaN : Date.parse(state.lastAttempt);
  if (state.failures > 0 && Number.isFinite(last)) due = Math.max(due, last + backoffMs(state.failures, policy));
  return new Date(due);
}

/** Whether the domain is to be ordered at `now`. */
export function isOrderDue(
  state: CertificateState,
  now: Date,
  policy: SchedulePolicy = DEFAULT_RENEWAL_SCHEDULE,
): boolean {
  const at = nextOrderAt(state, policy);
  return at !== undefined && at.getTime() <= now.getTime();
}

/** The state after a successful order. */
export function afterSuccess(state: CertificateState, now: Date, notAfter: Date): CertificateState {
  return {
    issuer: 'acme',
    notAfter: notAfter.toISOString(),
    lastAttempt: now.toISOString(),
    failures: 0,
    orders: state.orders + 1,
  };
}

/** The state after a failed order: the certificate served stays, the error is kept. */
export function afterFailure(state: CertificateState, now: Date, error: string): CertificateState {
  return { ...state, lastAttempt: now.toISOString(), lastError: error, failures: state.failures + 1 };
}
