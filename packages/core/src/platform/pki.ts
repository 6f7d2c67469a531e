import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { Sensitive } from '../sensitive.js';

// The platform's own certificate authority and the TLS certificates it signs (node-forge):
// the proxy's (admin.<domain> and *.<domain>) and the registry's (its node address). Nodes
// trust the CA for the registry; browsers can import it for the proxy. Pure functions of
// their inputs and the clock; writing them to disk is init.ts's job.

export interface CertAndKey {
  cert: string;
  key: Sensitive<string>;
}

export interface CertRequest {
  commonName: string;
  dnsNames: string[];
  ips: string[];
  days: number;
}

export interface CertInfo {
  commonName: string;
  issuer: string;
  dnsNames: string[];
  ips: string[];
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
}

const ORG = 'minicloud';

function serial(): string {
  // 16 random bytes with the top bit clear: a positive integer, as RFC 5280 wants.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // An hour of slack for nodes whose clocks run a little behind.
  cert.validity.notBefore = new Date(now.getTime() - 3600_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86400_000);
}

function keyPair(): forge.pki.rsa.KeyPair {
  // forge hands this to Node's native generateKeyPairSync when it can.
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

/** A new self-signed CA certificate and key. */
export function createCa(now: Date = new Date(), days = 3650, name = 'minicloud platform CA'): CertAndKey {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, days);
  const attrs = [
    { name: 'commonName', value: name },
    { name: 'organizationName', value: ORG },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: new Sensitive(forge.pki.privateKeyToPem(keys.privateKey)) };
}

/** A server certificate for the names and addresses asked, signed by the CA. */
export function issueCertificate(ca: CertAndKey, request: CertRequest, now: Date = new Date()): CertAndKey {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key.reveal());
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, request.days);
  cert.setSubject([
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: ORG },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...request.dnsNames.map((value) => ({ type: 2, value })),
    ...request.ips.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: new Sensitive(forge.pki.privateKeyToPem(keys.privateKey)) };
}

export function certificateInfo(pem: string): CertInfo {
  const cert = forge.pki.certificateFromPem(pem);
  const alt = cert.getExtension('subjectAltName') as {
    altNames?: { type: number; value?: string; ip?: string }[];
  } | null;
  const basic = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  const cn = (attrs: forge.pki.CertificateField[]) => String(attrs.find((a) => a.name === 'commonName')?.value ?? '');
  return {
    commonName: cn(cert.subject.attributes),
    issuer: cn(cert.issuer.attributes),
    dnsNames: (alt?.altNames ?? []).filter((a) => a.type === 2).map((a) => a.value ?? ''),
    ips: (alt?.altNames ?? []).filter((a) => a.type === 7).map((a) => a.ip ?? ''),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    isCa: basic?.cA === true,
  };
}

/** Whether the key is the private half of the certificate's public key. */
export function keyMatchesCertificate(certPem: string, keyPem: Sensitive<string>): boolean {
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    const key = forge.pki.privateKeyFromPem(keyPem.reveal());
    const pub = cert.publicKey as forge.pki.rsa.PublicKey;
    return pub.n.equals(key.n) && pub.e.equals(key.e);
  } catch {
    return false;
  }
}

export function signedBy(certPem: string, caPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}

/** Renew this long before expiry. */
export const RENEW_BEFORE_DAYS = 30;

/**
 * Why an existing certificate must be issued again, or undefined when it can stay: missing,
 * unreadable, signed by another CA, not matching its key, missing a name, or near its end.
 */
export function certificateProblem(
  existing: { cert?: string; key?: Sensitive<string> },
  wanted: CertRequest,
  caPem: string,
  now: Date = new Date(),
): string | undefined {
  if (existing.cert === undefined || existing.key === undefined) return 'missing';
  let info: CertInfo;
  try {
    info = certificateInfo(existing.cert);
  } catch {
    return 'unreadable';
  }
  if (!signedBy(existing.cert, caPem)) return 'not signed by the platform CA';
  if (!keyMatchesCertificate(existing.cert, existing.key)) return 'key does not match';
  const missing = [
    ...wanted.dnsNames.filter((n) => !info.dnsNames.includes(n)),
    ...wanted.ips.filter((ip) => !info.ips.includes(ip)),
  ];
  if (missing.length > 0) return `does not cover ${missing.join(', ')}`;
  if (info.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * 86400_000)
    return `expires ${info.notAfter.toISOString()}`;
  return undefined;
}

/** sha256 of a file's bytes, as `sha256sum` prints it: how a new node pins the CA it downloads. */
export function sha256OfText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
