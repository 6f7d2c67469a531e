import t from 'tap';
import {
  afterFailure,
  afterSuccess,
  backoffMs,
  describeAcmeProblem,
  domainCertificateStatus,
  isOrderDue,
  nextOrderAt,
  DEFAULT_RENEWAL_SCHEDULE,
  type CertificateState,
} from '@minicloud/core';

// Issue 12: when a domain's certificate is ordered from the ACME server (renewal window,
// back-off, uploaded ones never), what is reported of it, and the sentences an operator reads
// when an order fails. All pure, with an injected clock.

const DAY = 86_400_000;
const MIN = 60_000;
const now = new Date('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

t.test('a platform-CA certificate is replaced at once; an ACME one 30 days before its end', async (t) => {
  const platform: CertificateState = {
    issuer: 'platform-ca',
    notAfter: at(300 * DAY).toISOString(),
    failures: 0,
    orders: 0,
  };
  t.ok(isOrderDue(platform, now), 'a platform-CA certificate is due at once, however long it runs');
  const acme: CertificateState = { issuer: 'acme', notAfter: at(90 * DAY).toISOString(), failures: 0, orders: 1 };
  t.same(nextOrderAt(acme), at(60 * DAY), 'renewal at notAfter - 30 days');
  t.notOk(isOrderDue(acme, at(60 * DAY - 1)), 'not a millisecond before');
  t.ok(isOrderDue(acme, at(60 * DAY)), 'due at the window');
  t.ok(isOrderDue({ ...acme, notAfter: at(-DAY).toISOString() }, now), 'an expired one is due');
  t.ok(isOrderDue({ issuer: 'acme', failures: 0, orders: 1 }, now), 'an ACME state without a notAfter is due');
});

t.test('an uploaded certificate is never ordered, whatever its end or errors', async (t) => {
  const uploaded: CertificateState = { issuer: 'uploaded', notAfter: at(-DAY).toISOString(), failures: 3, orders: 0 };
  t.equal(nextOrderAt(uploaded), undefined);
  t.notOk(isOrderDue(uploaded, at(10_000 * DAY)));
});

t.test('failures back off exponentially from 1 minute, capped at 24 hours', async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 10, 11, 12, 1000].map((f) => backoffMs(f)),
    [0, MIN, 2 * MIN, 4 * MIN, 8 * MIN, 512 * MIN, 1024 * MIN, DAY, DAY],
  );
  t.ok(Number.isFinite(backoffMs(5000)), 'no overflow for a domain failing for years');
  const policy = { ...DEFAULT_RENEWAL_SCHEDULE, backoffBaseMs: 1000, backoffMaxMs: 5000 };
  t.same(
    [1, 2, 3, 4].map((f) => backoffMs(f, policy)),
    [1000, 2000, 4000, 5000],
    'the policy is honoured',
  );
});

t.test('after a failure the order waits for the back-off, and the later of both wins', async (t) => {
  let state: CertificateState = { issuer: 'platform-ca', failures: 0, orders: 0 };
  state = afterFailure(state, now, 'DNS for x points elsewhere');
  t.same(state, {
    issuer: 'platform-ca',
    lastAttempt: now.toISOString(),
    lastError: 'DNS for x points elsewhere',
    failures: 1,
    orders: 0,
  });
  t.notOk(isOrderDue(state, at(MIN - 1)));
  t.ok(isOrderDue(state, at(MIN)), 'tried again after a minute');
  state = afterFailure(state, at(MIN), 'again');
  t.same(nextOrderAt(state), at(3 * MIN), 'then two minutes after the second attempt');
  // A renewal that fails: the back-off applies, but never earlier than the renewal window.
  const renewing: CertificateState = {
    issuer: 'acme',
    notAfter: at(20 * DAY).toISOString(),
    failures: 2,
    orders: 1,
    lastAttempt: now.toISOString(),
  };
  t.same(nextOrderAt(renewing), at(2 * MIN));
  const early: CertificateState = {
    issuer: 'acme',
    notAfter: at(90 * DAY).toISOString(),
    failures: 1,
    orders: 1,
    lastAttempt: now.toISOString(),
  };
  t.same(nextOrderAt(early), at(60 * DAY), 'a back-off never brings a renewal forward');
});

t.test('a success resets the failures, counts the order and clears the error', async (t) => {
  const failing: CertificateState = {
    issuer: 'platform-ca',
    failures: 4,
    orders: 2,
    lastError: 'x',
    lastAttempt: at(-DAY).toISOString(),
  };
  const done = afterSuccess(failing, now, at(90 * DAY));
  t.same(done, {
    issuer: 'acme',
    notAfter: at(90 * DAY).toISOString(),
    lastAttempt: now.toISOString(),
    failures: 0,
    orders: 3,
  });
  t.notOk(isOrderDue(done, at(59 * DAY)), 'not re-ordered before its window (a restart changes nothing)');
});

t.test('what is reported of a domain', async (t) => {
  const failing: CertificateState = {
    issuer: 'platform-ca',
    notAfter: at(397 * DAY).toISOString(),
    failures: 2,
    orders: 0,
    lastAttempt: now.toISOString(),
    lastError: 'DNS for shop.example.com points to 203.0.113.9, not this server (198.51.100.4)',
  };
  t.same(domainCertificateStatus('shop.example.com', failing, true), {
    domain: 'shop.example.com',
    issuer: 'platform-ca',
    notAfter: at(397 * DAY).toISOString(),
    lastAttempt: now.toISOString(),
    lastError: failing.lastError,
    nextAttempt: at(2 * MIN).toISOString(),
  });
  t.same(
    domainCertificateStatus('shop.example.com', failing, false),
    {
      domain: 'shop.example.com',
      issuer: 'platform-ca',
      notAfter: at(397 * DAY).toISOString(),
      lastAttempt: now.toISOString(),
      lastError: failing.lastError,
    },
    'no next attempt with ACME off',
  );
  t.same(
    domainCertificateStatus(
      'a.example.com',
      { issuer: 'uploaded', notAfter: at(DAY).toISOString(), failures: 0, orders: 0 },
      true,
    ),
    { domain: 'a.example.com', issuer: 'uploaded', notAfter: at(DAY).toISOString() },
    'an uploaded certificate has no next attempt',
  );
});

t.test('ACME problems as sentences an operator can act on', async (t) => {
  const d = 'shop.example.com';
  const elsewhere = { addresses: ['203.0.113.9'], serverAddress: '198.51.100.4' };
  t.equal(
    describeAcmeProblem(
      d,
      { type: 'urn:ietf:params:acme:error:connection', detail: '203.0.113.9: Connection refused' },
      elsewhere,
    ),
    'DNS for shop.example.com points to 203.0.113.9, not this server (198.51.100.4); the CA could not reach shop.example.com on port 80: DNS must point to this server and port 80 be open (the CA said: 203.0.113.9: Connection refused)',
  );
  t.equal(
    describeAcmeProblem(
      d,
      { type: 'dns', detail: 'DNS problem: NXDOMAIN looking up A for shop.example.com' },
      { addresses: [], serverAddress: '198.51.100.4', error: 'ENOTFOUND' },
    ),
    'DNS for shop.example.com has no address here (ENOTFOUND): add an A record pointing to 198.51.100.4 (the CA said: DNS problem: NXDOMAIN looking up A for shop.example.com)',
  );
  t.match(
    describeAcmeProblem(
      d,
      {
        type: 'urn:ietf:params:acme:error:unauthorized',
        detail: 'Invalid response from http://shop.example.com/.well-known/acme-challenge/x: 404',
      },
      { addresses: ['198.51.100.4'], serverAddress: '198.51.100.4' },
    ),
    /^the CA reached shop\.example\.com but not this platform's answer/,
    'DNS that points here is not blamed',
  );
  t.match(
    describeAcmeProblem(d, {
      detail: 'Error creating new order :: too many certificates already issued for "example.com"',
    }),
    /^the CA refused more certificates for shop\.example\.com for now \(rate limit\); the platform tries again later/,
    'a rate limit, told from the detail when no type came with it',
  );
  t.match(describeAcmeProblem(d, { type: 'rateLimited', detail: 'slow down' }), /rate limit/);
  t.match(
    describeAcmeProblem(d, { type: 'caa', detail: 'CAA record forbids' }),
    /^a CAA record of shop\.example\.com forbids/,
  );
  t.equal(
    describeAcmeProblem(d, { detail: 'boom' }),
    'ordering a certificate for shop.example.com failed (the CA said: boom)',
  );
});
