import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Certificates of kinds the platform's own CA (node-forge, RSA only) does not make, from the
// openssl command line: ECDSA on a given curve, any validity window, any names. For the unit
// tests of uploaded certificates and for the engine tests that hand them to a real nginx.

export interface TestCert {
  cert: string;
  key: string;
}

export interface TestCertOptions {
  /** `rsa:2048`, `ec:P-256`, `ec:P-384`, `ec:P-521`, `ed25519`. */
  key: string;
  /** DNS names for the subject alternative names; none: the subject CN only. */
  names: string[];
  commonName?: string;
  /** Validity window (openssl -days counts from now); default 30 days from now. */
  days?: number;
}

function newKeyArgs(kind: string): string[] {
  if (kind.startsWith('ec:')) return ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${kind.slice(3)}`];
  return ['-newkey', kind];
}

/** A self-signed certificate and its unencrypted PKCS#8 key, made by `openssl req -x509`. */
export function opensslCert(options: TestCertOptions): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'mc-cert-'));
  try {
    const args = [
      'req',
      '-x509',
      ...newKeyArgs(options.key),
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      String(options.days ?? 30),
      '-subj',
      `/CN=${options.commonName ?? options.names[0] ?? 'example.test'}`,
      ...(options.names.length > 0
        ? ['-addext', `subjectAltName=${options.names.map((n) => `DNS:${n}`).join(',')}`]
        : []),
    ];
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
