import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcmeOrderError,
  CertificateRenewer,
  CertificateStore,
  ChallengeResponses,
  createCa,
  ensureAccountKey,
  inferCertificateState,
  issueCertificate,
  parseCertificateState,
  Sensitive,
  type CertificateOrderer,
  type IssuedCertificate,
} from '@minicloud/core';
import { opensslCert } from '../helpers/certs.js';

// Issue 12: the renewer over a real CertificateStore in a test directory, with the ACME server
// faked (focused: the engine test orders from a real one). One domain's failure never blocks
// another's order; a success is saved and served; a restart (a new renewer over the same
// store) orders nothing; domains routed before state files existed are inferred from their
// certificate; the account key is made once.

const ca = createCa();
const DAY = 86_400_000;

function tempStore(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'mc-acme-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, store: new CertificateStore(join(dir, 'certs'), async () => ca) };
}

/** An ACME server stand-in: issues (with a certificate from a test CA) unless told to fail a domain. */
class FakeAcme implements CertificateOrderer {
  readonly orders: string[] = [];
  readonly failing = new Map<string, AcmeOrderError>();
  constructor(private readonly now: () => Date) {}
  async order(domain: string): Promise<IssuedCertificate> {
    this.orders.push(domain);
    const fail = this.failing.get(domain);
    if (fail) throw fail;
    const issued = issueCertificate(ca, { commonName: domain, dnsNames: [domain], ips: [], days: 90 }, this.now());
    return {
      certificatePem: issued.cert,
      privateKeyPem: issued.key,
      notAfter: new Date(this.now().getTime() + 90 * DAY),
    };
  }
}

function renewer(
  store: CertificateStore,
  acme: FakeAcme,
  domains: string[],
  clock: { now: Date },
  refreshed: string[][],
) {
  return new CertificateRenewer({
    domains: async () => domains,
    store,
    orderer: acme,
    refresh: async () => {
      refreshed.push([...domains]);
    },
    lookUp: async () => ({ addresses: ['203.0.113.9'], serverAddress: '198.51.100.4' }),
    now: () => clock.now,
  });
}

t.test("one domain's failure does not block another's order, and is recorded", async (t) => {
  const { store } = tempStore(t);
  const clock = { now: new Date('2026-06-01T12:00:00Z') };
  const acme = new FakeAcme(() => clock.now);
  acme.failing.set(
    'down.example.com',
    new AcmeOrderError({ type: 'urn:ietf:params:acme:error:connection', detail: 'Connection refused' }),
  );
  const domains = ['down.example.com', 'shop.example.com', 'admin.example.com'];
  for (const d of domains) await store.get(d); // routed: the platform CA's certificate first
  const refreshed: string[][] = [];
  const r = renewer(store, acme, domains, clock, refreshed);
  t.same(await r.pass(), ['shop.example.com', 'admin.example.com'], 'the others are issued');
  t.equal(refreshed.length, 2, 'the proxy is refreshed after each new certificate');
  const down = await store.state('down.example.com');
  t.match(down, {
    issuer: 'platform-ca',
    failures: 1,
    orders: 0,
    lastAttempt: clock.now.toISOString(),
    lastError:
      'DNS for down.example.com points to 203.0.113.9, not this server (198.51.100.4); the CA could not reach down.example.com on port 80: DNS must point to this server and port 80 be open (the CA said: Connection refused)',
  });
  const shop = await store.state('shop.example.com');
  t.match(shop, {
    issuer: 'acme',
    failures: 0,
    orders: 1,
    notAfter: new Date(clock.now.getTime() + 90 * DAY).toISOString(),
  });
  t.equal((await store.get('shop.example.com')).certificatePem.includes('BEGIN CERTIFICATE'), true);

  // 30 s later nothing is due: the failing domain waits its minute.
  clock.now = new Date(clock.now.getTime() + 30_000);
  t.same(await r.pass(), []);
  t.same(acme.orders, domains, 'no order was repeated');
  clock.now = new Date(clock.now.getTime() + 30_000);
  acme.failing.clear();
  t.same(await r.pass(), ['down.example.com'], 'after its back-off the failing domain is tried again');
  t.match(await store.state('down.example.com'), { issuer: 'acme', failures: 0, orders: 1 });
  t.notOk((await store.state('down.example.com')).lastError, 'its error is cleared');
});

t.test('a restart orders nothing; renewal 30 days before the end', async (t) => {
  const { store } = tempStore(t);
  const clock = { now: new Date('2026-06-01T12:00:00Z') };
  const acme = new FakeAcme(() => clock.now);
  await store.get('shop.example.com');
  await renewer(store, acme, ['shop.example.com'], clock, []).pass();
  const restarted = renewer(store, acme, ['shop.example.com'], clock, []);
  t.same(await restarted.pass(), [], 'a new renewer over the same store: nothing due');
  clock.now = new Date(clock.now.getTime() + 59 * DAY);
  t.same(await restarted.pass(), [], 'not yet at 59 days');
  clock.now = new Date(clock.now.getTime() + DAY);
  t.same(await restarted.pass(), ['shop.example.com'], 'renewed at 60 days of 90');
  t.equal((await store.state('shop.example.com')).orders, 2);
});

t.test('an uploaded certificate is never ordered; a removed domain is not saved', async (t) => {
  const { store, dir } = tempStore(t);
  const clock = { now: new Date() };
  const acme = new FakeAcme(() => clock.now);
  const own = opensslCert({ key: 'ec:P-256', names: ['mine.example.com'] });
  await store.upload('mine.example.com', own.cert, new Sensitive(own.key));
  t.match(await store.state('mine.example.com'), { issuer: 'uploaded', failures: 0 });
  const domains = ['mine.example.com', 'gone.example.com'];
  const r = new CertificateRenewer({
    domains: async () => [...domains],
    store,
    orderer: {
      order: async (d) => {
        domains.splice(domains.indexOf('gone.example.com'), 1); // removed while its order ran
        return acme.order(d);
      },
    },
    refresh: async () => undefined,
    now: () => clock.now,
  });
  t.same(await r.pass(), []);
  t.same(acme.orders, ['gone.example.com'], 'only the domain without an uploaded certificate was ordered');
  t.notOk(existsSync(join(dir, 'certs', 'gone.example.com')), 'nothing left for the removed domain');
  t.equal((await store.get('mine.example.com')).certificatePem, own.cert, 'the uploaded certificate stays');
});

t.test('domains routed before state files existed: inferred from their certificate, and written', async (t) => {
  const { store, dir } = tempStore(t);
  const platform = issueCertificate(ca, {
    commonName: 'old.example.com',
    dnsNames: ['old.example.com'],
    ips: [],
    days: 397,
  });
  const own = opensslCert({ key: 'ec:P-256', names: ['own.example.com'] });
  for (const [d, cert, key] of [
    ['old.example.com', platform.cert, platform.key.reveal()],
    ['own.example.com', own.cert, own.key],
  ] as const) {
    mkdirSync(join(dir, 'certs', d), { recursive: true });
    writeFileSync(join(dir, 'certs', d, 'tls.crt'), cert);
    writeFileSync(join(dir, 'certs', d, 'tls.key'), key);
  }
  t.match(await store.state('old.example.com'), { issuer: 'platform-ca', failures: 0, orders: 0, notAfter: String });
  t.match(await store.state('own.example.com'), { issuer: 'uploaded', failures: 0, orders: 0 });
  t.match(
    JSON.parse(readFileSync(join(dir, 'certs', 'own.example.com', 'state.json'), 'utf8')),
    { issuer: 'uploaded' },
    'the migration writes the state file',
  );
  t.same(inferCertificateState('not a certificate', ca.cert), { issuer: 'uploaded', failures: 0, orders: 0 });
  t.equal(parseCertificateState('{"issuer":"nobody"}'), undefined, 'a state file that is not one is inferred again');
  t.same(parseCertificateState('{"issuer":"acme","failures":-1,"orders":"x","notAfter":"never"}'), {
    issuer: 'acme',
    failures: 0,
    orders: 0,
  });
});

t.test('with ACME off, an ACME certificate gives way to the platform CA', async (t) => {
  const { store } = tempStore(t);
  const clock = { now: new Date() };
  await store.get('shop.example.com');
  await renewer(store, new FakeAcme(() => clock.now), ['shop.example.com'], clock, []).pass();
  const acmeCert = (await store.get('shop.example.com')).certificatePem;
  t.equal((await store.get('shop.example.com', { acme: true })).certificatePem, acmeCert, 'kept while ACME is on');
  const after = await store.get('shop.example.com', { acme: false });
  t.not(after.certificatePem, acmeCert, 'replaced when it is off');
  t.match(await store.state('shop.example.com'), { issuer: 'platform-ca' });
});

t.test('challenge answers: only a pending token, only for its own host', async (t) => {
  const answers = new ChallengeResponses();
  answers.add('shop.example.com', 'tok_en-1', 'tok_en-1.thumbprint');
  t.equal(answers.answer('shop.example.com', 'tok_en-1'), 'tok_en-1.thumbprint');
  t.equal(answers.answer('SHOP.example.com', 'tok_en-1'), 'tok_en-1.thumbprint', 'host names are case-insensitive');
  t.equal(answers.answer('other.example.com', 'tok_en-1'), undefined, "another app's host does not get it");
  t.equal(answers.answer('admin.example.com', 'tok_en-1'), undefined);
  t.equal(answers.answer('shop.example.com', 'unknown'), undefined);
  t.equal(answers.answer('shop.example.com', '../tok_en-1'), undefined);
  answers.remove('tok_en-1');
  t.equal(answers.answer('shop.example.com', 'tok_en-1'), undefined, 'gone once the order is done');
});

t.test('the account key is made once, 0600, and kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-acme-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'acme', 'account.key');
  const first = await ensureAccountKey(file);
  t.match(first.reveal(), /BEGIN (EC )?PRIVATE KEY/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal((await ensureAccountKey(file)).reveal(), first.reveal(), 'read again, never made again');
  t.equal(String(first), '[redacted]', 'never printed');
});

t.test(
  'the background loop: nothing before start(), a pass at start, on wake and on its timer; stop ends it',
  async (t) => {
    const { store } = tempStore(t);
    const clock = { now: new Date() };
    const acme = new FakeAcme(() => clock.now);
    const domains: string[] = [];
    const r = new CertificateRenewer(
      { domains: async () => [...domains], store, orderer: acme, refresh: async () => undefined, now: () => clock.now },
      { intervalMs: 20 },
    );
    domains.push('early.example.com');
    r.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.same(acme.orders, [], 'a wake before start() orders nothing: the API does not answer challenges yet');
    // What must happen is waited for (a loaded CPU runs the 20 ms timer late); what must
    // not happen is looked for after a pause.
    const ordered = async (count: number) => {
      for (const end = Date.now() + 10_000; acme.orders.length < count && Date.now() < end;)
        await new Promise((resolve) => setTimeout(resolve, 10));
    };
    r.start();
    await ordered(1);
    t.same(acme.orders, ['early.example.com'], 'ordered at start');
    domains.push('later.example.com');
    await ordered(2);
    t.same(acme.orders, ['early.example.com', 'later.example.com'], 'a domain routed later is ordered by the timer');
    await r.stop();
    domains.push('after.example.com');
    r.wake();
    await new Promise((resolve) => setTimeout(resolve, 80));
    t.same(acme.orders, ['early.example.com', 'later.example.com'], 'nothing after stop()');
  },
);
