import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { Sensitive } from '../sensitive.js';

// An operator's certificate for an app domain, checked before the proxy serves it: readable,
// its key the private half of it, naming the domain, and valid now. Node's own X.509 and key
// parsers (OpenSSL, as nginx uses) rather than node-forge, which reads RSA only: ECDSA
// certificates are what most ACME clients issue today.

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The curves browsers accept for TLS server certificates, by OpenSSL's names. */
const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };
const MIN_RSA_BITS = 2048;

/** A certificate issued a moment ago on a machine whose clock runs ahead is not refused. */
const CLOCK_SKEW_MS = 5 * 60_000;

const SUPPORTED_KEYS = `RSA of at least ${MIN_RSA_BITS} bits, or ECDSA P-256 or P-384`;

function parseChain(pem: string): X509Certificate[] | ErrorDetail {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0)
    return { path: 'certificate', message: 'is not a PEM certificate (-----BEGIN CERTIFICATE-----)' };
  const chain: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block));
    } catch {
      const which = i === 0 ? 'the first certificate' : `certificate ${i + 1} of the chain`;
      return { path: 'certificate', message: `${which} is not a valid X.509 certificate` };
    }
  }
  return chain;
}

function parseKey(pem: Sensitive<string>): KeyObject | ErrorDetail {
  const text = pem.reveal();
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4,ENCRYPTED/.test(text)) {
    return { path: 'privateKey', message: 'is encrypted: upload it without a passphrase' };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    return { path: 'privateKey', message: 'is not a PEM private key' };
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return key;
  if (key.asymmetricKeyType === 'ec' && EC_CURVES[details.namedCurve ?? ''] !== undefined) return key;
  const what =
    key.asymmetricKeyType === 'rsa'
      ? `an RSA key of ${details.modulusLength} bits`
      : key.asymmetricKeyType === 'ec'
        ? `an ECDSA key on curve ${details.namedCurve}`
        : `a key of type ${key.asymmetricKeyType}`;
  return { path: 'privateKey', message: `is ${what}; use ${SUPPORTED_KEYS}` };
}

/** The DNS names of a certificate, for a message (node quotes odd ones: shown as they come). */
function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
}

const isDetail = (v: unknown): v is ErrorDetail => typeof v === 'object' && v !== null && 'path' in v;

/**
 * Throws MC_CERT_INVALID, naming `certificate` or `privateKey` and why (every reason found),
 * unless the PEM chain's first certificate is valid at `now`, names `domain` in its subject
 * alternative names (a wildcard covers one label, as browsers read it; the subject's CN is not
 * read, as browsers do not), and `key` is its private key, of a kind browsers accept.
 */
export function checkUploadedCertificate(
  domain: string,
  certificatePem: string,
  key: Sensitive<string>,
  now: Date = new Date(),
): void {
  const details: ErrorDetail[] = [];
  const chain = parseChain(certificatePem);
  const privateKey = parseKey(key);
  if (isDetail(chain)) details.push(chain);
  if (isDetail(privateKey)) details.push(privateKey);
  const leaf = isDetail(chain) ? undefined : chain[0];
  if (leaf) {
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    if (now.getTime() > notAfter.getTime()) {
      details.push({ path: 'certificate', message: `expired on ${notAfter.toISOString()}` });
    } else if (now.getTime() + CLOCK_SKEW_MS < notBefore.getTime()) {
      details.push({ path: 'certificate', message: `is not valid before ${notBefore.toISOString()}` });
    }
    if (leaf.checkHost(domain, { subject: 'never', wildcards: true, partialWildcards: false }) === undefined) {
      const names = dnsNames(leaf);
      details.push({
        path: 'certificate',
        message: `does not cover ${domain} (it names ${names.length > 0 ? names.join(', ') : 'no host'})`,
      });
    }
    if (!isDetail(privateKey) && !leaf.checkPrivateKey(privateKey)) {
      details.push({ path: 'privateKey', message: 'does not match the certificate' });
    }
  }
  if (details.length > 0) {
    const reasons = details.map((d) => `${d.path === 'privateKey' ? 'the key' : 'it'} ${d.message}`).join('; ');
    throw new MinicloudError('MC_CERT_INVALID', `the certificate for ${domain} is refused: ${reasons}`, details);
  }
}
