import { X509Certificate } from 'node:crypto';
import type { CertificateIssuer, CertificateState } from './schedule.js';

// The per-domain certificate state (state.json beside tls.crt and tls.key in the secrets dir),
// and what it is for domains routed before it existed: their certificate tells. One the
// platform CA signed is the platform's (ACME replaces it); any other the operator uploaded
// (ACME never replaces it).

const ISSUERS: readonly CertificateIssuer[] = ['acme', 'platform-ca', 'uploaded'];

/** The end of the first certificate of a PEM chain, or undefined when it cannot be read. */
export function certificateNotAfter(certificatePem: string): Date | undefined {
  try {
    return new Date(new X509Certificate(certificatePem).validTo);
  } catch {
    return undefined;
  }
}

function signedBy(certificatePem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certificatePem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** The state of a domain that has a certificate but no state file yet (routed before ACME). */
export function inferCertificateState(certificatePem: string, platformCaPem: string): CertificateState {
  const notAfter = certificateNotAfter(certificatePem);
  return {
    issuer: signedBy(certificatePem, platformCaPem) ? 'platform-ca' : 'uploaded',
    ...(notAfter ? { notAfter: notAfter.toISOString() } : {}),
    failures: 0,
    orders: 0,
  };
}

/** A state file's content, checked field by field; undefined when it is not one (then inferred again). */
export function parseCertificateState(text: string): CertificateState | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || !ISSUERS.includes(raw['issuer'] as CertificateIssuer))
    return undefined;
  const time = (key: string) =>
    typeof raw[key] === 'string' && Number.isFinite(Date.parse(raw[key] as string)) ? (raw[key] as string) : undefined;
  const count = (key: string) => (Number.isInteger(raw[key]) && (raw[key] as number) >= 0 ? (raw[key] as number) : 0);
  const notAfter = time('notAfter');
  const lastAttempt = time('lastAttempt');
  const lastError = typeof raw['lastError'] === 'string' ? raw['lastError'] : undefined;
  return {
    issuer: raw['issuer'] as CertificateIssuer,
    ...(notAfter ? { notAfter } : {}),
    ...(lastAttempt ? { lastAttempt } : {}),
    ...(lastError ? { lastError } : {}),
    failures: count('failures'),
    orders: count('orders'),
  };
}
