import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppManager,
  CertificateStore,
  checkUploadedCertificate,
  createCa,
  formatDetail,
  isMinicloudError,
  issueCertificate,
  Sensitive,
  type AppContext,
  type AppRecord,
  type CertificateFiles,
} from '@minicloud/core';
import { opensslCert } from '../helpers/certs.js';

// Certificates an operator uploads for an app domain (issue 11): refused when expired or not
// yet valid (with the date), accepted as ECDSA P-256/P-384 as well as RSA, and an upload for a
// domain the app already has replaces that domain's certificate.

const DOMAIN = 'shop.example.com';
const ca = createCa();

/** An RSA certificate from a test CA whose validity starts an hour before `now`. */
function rsaCert(names: string[], now = new Date(), days = 30) {
  const issued = issueCertificate(ca, { commonName: names[0] ?? 'x', dnsNames: names, ips: [], days }, now);
  return { cert: issued.cert, key: issued.key.reveal() };
}

/** The printed details of a refusal, or [] when the certificate is accepted. */
function refusals(domain: string, cert: string, key: string, now?: Date): string[] {
  try {
    checkUploadedCertificate(domain, cert, new Sensitive(key), now);
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_CERT_INVALID');
    t.notMatch(error.message, /PRIVATE KEY|[A-Za-z0-9+/]{40}/, 'no key material in the message');
    return error.details.map(formatDetail);
  }
}

t.test('accepted: RSA and ECDSA P-256/P-384, a chain, a wildcard for one label', async (t) => {
  const rsa = rsaCert([DOMAIN]);
  t.same(refusals(DOMAIN, rsa.cert, rsa.key), [], 'RSA 2048 from a CA');
  t.same(refusals(DOMAIN, `${rsa.cert}${ca.cert}`, rsa.key), [], 'with its chain after it');
  for (const curve of ['P-256', 'P-384']) {
    const ec = opensslCert({ key: `ec:${curve}`, names: [DOMAIN] });
    t.same(refusals(DOMAIN, ec.cert, ec.key), [], `ECDSA ${curve}`);
  }
  const wild = opensslCert({ key: 'ec:P-256', names: ['*.example.com'] });
  t.same(refusals(DOMAIN, wild.cert, wild.key), [], '*.example.com covers shop.example.com');
  t.same(refusals('a.shop.example.com', wild.cert, wild.key), [
    'certificate: does not cover a.shop.example.com (it names *.example.com)',
  ]);
  t.same(refusals('example.com', wild.cert, wild.key), [
    'certificate: does not cover example.com (it names *.example.com)',
  ]);
});

t.test('refused with the date: expired, and not valid yet', async (t) => {
  const expired = rsaCert([DOMAIN], new Date('2020-01-01T00:00:00Z'), 30);
  t.same(refusals(DOMAIN, expired.cert, expired.key), ['certificate: expired on 2020-01-31T00:00:00.000Z']);
  try {
    checkUploadedCertificate(DOMAIN, expired.cert, new Sensitive(expired.key));
  } catch (error) {
    t.match(
      (error as Error).message,
      `the certificate for ${DOMAIN} is refused: it expired on 2020-01-31T00:00:00.000Z`,
    );
  }
  const later = rsaCert([DOMAIN], new Date(Date.now() + 10 * 86400_000), 30);
  t.match(refusals(DOMAIN, later.cert, later.key), [/^certificate: is not valid before \d{4}-\d\d-\d\dT/]);
  // An openssl certificate of today is fine now, expired a day after its end, early a day before.
  const ec = opensslCert({ key: 'ec:P-384', names: [DOMAIN], days: 1 });
  t.same(refusals(DOMAIN, ec.cert, ec.key), []);
  t.match(refusals(DOMAIN, ec.cert, ec.key, new Date(Date.now() + 2 * 86400_000)), [/^certificate: expired on /]);
  t.match(refusals(DOMAIN, ec.cert, ec.key, new Date(Date.now() - 86400_000)), [/^certificate: is not valid before /]);
});

t.test('refused: names, keys that do not match, keys browsers do not take, not PEM', async (t) => {
  const ec = opensslCert({ key: 'ec:P-256', names: [DOMAIN] });
  const other = opensslCert({ key: 'ec:P-256', names: [DOMAIN] });
  const rsa = rsaCert([DOMAIN]);
  t.same(refusals('www.example.com', ec.cert, ec.key), [
    `certificate: does not cover www.example.com (it names ${DOMAIN})`,
  ]);
  const cnOnly = opensslCert({ key: 'ec:P-256', names: [], commonName: DOMAIN });
  t.same(refusals(DOMAIN, cnOnly.cert, cnOnly.key), [`certificate: does not cover ${DOMAIN} (it names no host)`]);
  t.same(refusals(DOMAIN, ec.cert, other.key), ['privateKey: does not match the certificate'], 'another EC key');
  t.same(refusals(DOMAIN, ec.cert, rsa.key), ['privateKey: does not match the certificate'], 'an RSA key');
  t.same(refusals(DOMAIN, rsa.cert, ec.key), ['privateKey: does not match the certificate'], 'the other way');
  const p521 = opensslCert({ key: 'ec:P-521', names: [DOMAIN] });
  t.same(refusals(DOMAIN, p521.cert, p521.key), [
    'privateKey: is an ECDSA key on curve secp521r1; use RSA of at least 2048 bits, or ECDSA P-256 or P-384',
  ]);
  const ed = opensslCert({ key: 'ed25519', names: [DOMAIN] });
  t.same(refusals(DOMAIN, ed.cert, ed.key), [
    'privateKey: is a key of type ed25519; use RSA of at least 2048 bits, or ECDSA P-256 or P-384',
  ]);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  t.match(refusals(DOMAIN, rsa.cert, String(small)), [/^privateKey: is an RSA key of 1024 bits; use RSA of at least/]);
  const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  });
  t.same(refusals(DOMAIN, ec.cert, String(encrypted)), ['privateKey: is encrypted: upload it without a passphrase']);
  t.same(refusals(DOMAIN, 'junk', 'junk'), [
    'certificate: is not a PEM certificate (-----BEGIN CERTIFICATE-----)',
    'privateKey: is not a PEM private key',
  ]);
  const broken = `${ec.cert}-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n`;
  t.same(refusals(DOMAIN, broken, ec.key), [
    'certificate: certificate 2 of the chain is not a valid X.509 certificate',
  ]);
});

t.test('the store: an upload replaces the files, and its undo puts the old ones back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new CertificateStore(dir, async () => ca);
  const issued = await store.get(DOMAIN);
  t.match(issued.certificatePem, /BEGIN CERTIFICATE/, 'the platform CA issues one first');
  const ec = opensslCert({ key: 'ec:P-256', names: [DOMAIN] });
  const undo = await store.upload(DOMAIN, ec.cert, new Sensitive(ec.key));
  t.equal(readFileSync(join(dir, DOMAIN, 'tls.crt'), 'utf8'), ec.cert, 'replaced');
  t.equal(statSync(join(dir, DOMAIN, 'tls.key')).mode & 0o777, 0o600, 'the key readable by its owner only');
  t.equal((await store.get(DOMAIN)).certificatePem, ec.cert);
  const expired = rsaCert([DOMAIN], new Date('2020-01-01T00:00:00Z'));
  await t.rejects(store.upload(DOMAIN, expired.cert, new Sensitive(expired.key)), { code: 'MC_CERT_INVALID' });
  t.equal((await store.get(DOMAIN)).certificatePem, ec.cert, 'a refused upload changes nothing');
  await undo();
  t.equal((await store.get(DOMAIN)).certificatePem, issued.certificatePem, 'undone: the issued one is back');
  const other = opensslCert({ key: 'ec:P-256', names: ['new.example.com'] });
  const undoNew = await store.upload('new.example.com', other.cert, new Sensitive(other.key));
  await undoNew();
  t.notOk(existsSync(join(dir, 'new.example.com')), 'undone: a domain that had none has none again');
});

t.test('AppManager: a certificate for a domain the app has replaces it, and the proxy serves it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const record = {
    name: 'shop',
    image: 'registry/shop:1',
    domains: ['shop.minicloud.localhost', DOMAIN],
    envKeys: [],
    replicas: 1,
    needs: [],
    manifest: { name: 'shop', expose: [{ proto: 'http', port: 8080 }], needs: [] },
  } as unknown as AppRecord;
  const applied: Map<string, CertificateFiles>[] = [];
  let proxyRefuses = false;
  const certificates = new CertificateStore(dir, async () => ca);
  const ctx = {
    store: {
      read: async () => record,
      readStored: async () => ({ record }),
      readSecrets: async () => ({}),
      list: async () => [record],
    },
    certificates,
    proxy: {
      apply: async (_routes: unknown, certs: Map<string, CertificateFiles>) => {
        if (proxyRefuses) throw new Error('nginx -t: refused');
        applied.push(certs);
      },
    },
    docker: { listServices: async () => [] },
  } as unknown as AppContext;
  const manager = new AppManager(ctx);
  const before = await certificates.get(DOMAIN);

  await manager.addDomain('shop', DOMAIN);
  t.equal(applied.length, 0, 'no certificate: the domain is there already, nothing to do');

  const ec = opensslCert({ key: 'ec:P-384', names: [DOMAIN] });
  await manager.addDomain('shop', DOMAIN, { certificatePem: ec.cert, privateKeyPem: ec.key });
  t.equal(applied.length, 1, 'the proxy got its routes again');
  t.equal(applied[0]!.get(DOMAIN)!.certificatePem, ec.cert, 'with the new certificate');

  const expired = rsaCert([DOMAIN], new Date('2020-01-01T00:00:00Z'));
  await t.rejects(manager.addDomain('shop', DOMAIN, { certificatePem: expired.cert, privateKeyPem: expired.key }), {
    code: 'MC_CERT_INVALID',
    message: /expired on 2020-01-31/,
  });
  t.equal(applied.length, 1, 'refused before the proxy is touched');

  proxyRefuses = true;
  const next = opensslCert({ key: 'ec:P-256', names: [DOMAIN] });
  await t.rejects(manager.addDomain('shop', DOMAIN, { certificatePem: next.cert, privateKeyPem: next.key }), {
    message: /nginx -t/,
  });
  t.equal((await certificates.get(DOMAIN)).certificatePem, ec.cert, 'the proxy refused it: the previous one is back');
  t.not(before.certificatePem, ec.cert);
});

t.test('a read waits for a save of the same domain: never the new key with the old certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new CertificateStore(dir, async () => ca);
  const state = { issuer: 'acme' as const, failures: 0, orders: 1 };
  const pair = (n: number) => ({ cert: `cert ${n}\n`, key: `key ${n}\n` });
  await store.saveIssued(DOMAIN, pair(0).cert, new Sensitive(pair(0).key), state);
  for (let n = 1; n <= 20; n++) {
    // A renewal writes two files; the proxy reads the pair while it does.
    const saving = store.saveIssued(DOMAIN, pair(n).cert, new Sensitive(pair(n).key), state);
    const got = await store.get(DOMAIN);
    await saving;
    t.same(
      [got.certificatePem, got.privateKeyPem.reveal()],
      [pair(n).cert, pair(n).key],
      `read ${n}: the whole pair of the save it came after`,
    );
  }
});
