import t from 'tap';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:tls';
import { ADDR, DATA, DOMAIN, INSTALL, buildAndPush, httpsTo, sh } from '../helpers/platform.js';
import { dockerCli, waitFor } from '../helpers/engine.js';
import { startPebble, type Pebble } from '../helpers/pebble.js';

// Issue 12 on the installed test platform, against a real ACME server on this machine (Pebble,
// test/helpers/pebble.ts; never an outside one): install with Pebble as the directory; an app's
// default and custom domains and admin.<domain> get certificates that chain to Pebble's root;
// a domain whose challenge cannot succeed keeps the platform CA's, reports why and is tried
// again later; a restart of the API orders nothing; a certificate near its end (Pebble issuing
// short-lived ones) is renewed and swapped in with no request failing; the port-80 challenge
// path never reaches an app. At the end the platform is installed again with its default
// options (ACME off), and admin.<domain> serves the platform CA's certificate again.

const APP = 'acmeshop';
const DEFAULT_HOST = `${APP}.${DOMAIN}`;
const CUSTOM = 'shop.acme.test';
const DOWN = 'down.acme.test';
const RENEW = 'renew.acme.test';
const ADMIN = `admin.${DOMAIN}`;
const PLATFORM_CA = () => readFileSync(`${DATA}/pki/ca.crt`, 'utf8');

let pebble: Pebble | undefined;
/** Every root a served certificate may chain to: the platform CA's and each Pebble run's. */
let trust = '';

interface CertStatus {
  domain: string;
  issuer: string;
  notAfter?: string;
  lastAttempt?: string;
  lastError?: string;
  nextAttempt?: string;
}

/** The admin API through the proxy, trusting the platform CA and Pebble's roots (admin's certificate changes issuer). */
async function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const token = readFileSync(`${DATA}/secrets/admin-token`, 'utf8').trim();
  const res = await httpsTo(ADMIN, path, { method, body, token, ca: trust });
  let json: unknown;
  try {
    json = res.body === '' ? undefined : JSON.parse(res.body);
  } catch {
    json = res.body;
  }
  return { status: res.status, json };
}

/** The certificate the proxy serves for a host name, and whether it chains to `ca`. */
function served(host: string, ca: string): Promise<{ authorized: boolean; serial: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ADDR, port: 443, servername: host, ca, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ authorized: socket.authorized, serial: cert.serialNumber, issuer: String(cert.issuer?.CN ?? '') });
      socket.end();
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`timeout: ${host}`)));
    socket.on('error', reject);
  });
}

/** Waits until `host` is served a certificate chaining to Pebble's current root; its serial. */
async function servedByPebble(host: string, timeoutMs = 180_000): Promise<string> {
  const root = await pebble!.roots();
  return waitFor(
    `${host} served with a certificate from Pebble`,
    async () => {
      const s = await served(host, root);
      return s.authorized ? s.serial : undefined;
    },
    timeoutMs,
    2000,
  );
}

async function certificates(): Promise<CertStatus[]> {
  const show = await adminApi('GET', `/v1/apps/${APP}`);
  if (show.status !== 200) throw new Error(`app show: ${show.status} ${JSON.stringify(show.json)}`);
  return (show.json as { certificates: CertStatus[] }).certificates;
}

/** The ACME orders the platform recorded for a domain (state.json in the secrets dir). */
function orders(domain: string): number {
  return (JSON.parse(readFileSync(`${DATA}/secrets/certs/${domain}/state.json`, 'utf8')) as { orders: number }).orders;
}

/** A plain HTTP request to the proxy's port 80 with a Host header. */
function port80(host: string, path: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: ADDR, port: 80, path, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function install(extra: string[]): Promise<void> {
  const run = await sh('bash', [...INSTALL, ...extra], { timeout: 900_000 });
  if (run.code !== 0) throw new Error(`install.sh ${extra.join(' ')} failed: ${run.stderr.slice(-3000)}`);
}

/** The platform as the other engine tests expect it: default options, ACME off. */
async function backToDefaults(): Promise<void> {
  await adminApi('DELETE', `/v1/apps/${APP}?purge=true&wait=true`).catch(() => undefined);
  await pebble?.stop().catch(() => undefined);
  pebble = undefined;
  await install(['--no-acme']);
}

t.before(async () => {
  pebble = await startPebble({ authzReusePercent: 0 });
  await install([
    '--acme-email=ops@minicloud.test',
    `--acme-directory=${pebble.directoryUrl}`,
    `--acme-ca-file=${pebble.caFile}`,
  ]);
  trust = PLATFORM_CA() + (await pebble.roots());
  await buildAndPush('acmeshop:1', `name: ${APP}\nexpose: [{proto: http, port: 80}]\n`);
});

t.teardown(async () => {
  // Only when a test failed before the last one put the platform back.
  if (pebble) await backToDefaults();
});

t.test('the install records the ACME settings', async (t) => {
  const platform = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as {
    settings: Record<string, string>;
  };
  t.equal(platform.settings['acmeEmail'], 'ops@minicloud.test');
  t.equal(platform.settings['acmeDirectory'], pebble!.directoryUrl);
  t.equal(platform.settings['acmeCaFile'], `${DATA}/config/acme/ca.pem`);
  t.equal(
    readFileSync(`${DATA}/config/acme/ca.pem`, 'utf8'),
    pebble!.caPem,
    'the CA bundle was copied into the data dir',
  );
});

t.test('admin.<domain> is served with a certificate from Pebble', async (t) => {
  const serial = await servedByPebble(ADMIN);
  t.ok(serial, `admin serves Pebble's certificate ${serial}`);
  t.equal((await adminApi('GET', '/v1/apps')).status, 200, 'the API answers through it');
});

t.test("an app's default and custom domains get certificates from Pebble", async (t) => {
  const added = await adminApi('POST', '/v1/apps?wait=true', {
    image: `${ADDR}:5443/mc-e2e/acmeshop:1`,
    domains: [CUSTOM],
  });
  t.equal(added.status, 201, JSON.stringify(added.json).slice(0, 500));
  for (const host of [DEFAULT_HOST, CUSTOM]) {
    await servedByPebble(host);
    const res = await httpsTo(host, '/', { ca: trust });
    t.equal(res.status, 200, `${host} answers over a certificate browsers of Pebble's root trust`);
  }
  const certs = await certificates();
  for (const host of [DEFAULT_HOST, CUSTOM]) {
    const c = certs.find((x) => x.domain === host);
    t.match(c, { domain: host, issuer: 'acme', notAfter: String, lastAttempt: String }, `${host} reported`);
    t.notOk(c?.lastError, 'no error');
    t.ok(
      Date.parse(c!.nextAttempt!) - Date.parse(c!.notAfter!) === -30 * 86_400_000,
      'renewal planned 30 days before the end',
    );
  }
  t.equal(orders(CUSTOM), 1, 'ordered once');
});

t.test('the challenge path on port 80 never reaches an app', async (t) => {
  for (const host of [DEFAULT_HOST, CUSTOM, ADMIN, 'nobody.acme.test']) {
    const res = await port80(host, '/.well-known/acme-challenge/planted-by-a-tenant');
    t.equal(res.status, 404, `${host}: a token the platform did not make is 404`);
    t.equal(res.body, 'no such challenge\n', `${host}: answered by the API, not the app`);
  }
  const redirect = await port80(CUSTOM, '/page');
  t.equal(redirect.status, 301, 'other paths still redirect to HTTPS');
  t.equal(redirect.location, `https://${CUSTOM}/page`);
});

t.test(
  'a domain whose challenge cannot succeed keeps the platform certificate, says why, and is tried again',
  async (t) => {
    // Pebble resolves it to the worker, where nothing listens on port 80.
    await pebble!.setDnsA(DOWN, '10.79.0.2');
    const added = await adminApi('POST', `/v1/apps/${APP}/domains?wait=true`, { domain: DOWN });
    t.ok(added.status === 200 || added.status === 201, JSON.stringify(added.json).slice(0, 300));
    const first = await waitFor(
      `an error reported for ${DOWN}`,
      async () => (await certificates()).find((c) => c.domain === DOWN && c.lastError),
      120_000,
      2000,
    );
    t.equal(first.issuer, 'platform-ca');
    t.match(first.lastError, new RegExp(`${DOWN.replace(/\./g, '\\.')}`), 'the message names the domain');
    t.match(first.lastError, /port 80|DNS/, 'and says what to check');
    t.ok(Date.parse(first.nextAttempt!) > Date.parse(first.lastAttempt!), 'the next attempt waits');
    const cert = await served(DOWN, PLATFORM_CA());
    t.ok(cert.authorized, "the platform CA's certificate serves it meanwhile");
    const again = await waitFor(
      `a second attempt for ${DOWN}`,
      async () => (await certificates()).find((c) => c.domain === DOWN && c.lastAttempt !== first.lastAttempt),
      180_000,
      3000,
    );
    t.ok(
      Date.parse(again.nextAttempt!) - Date.parse(again.lastAttempt!) > 60_000,
      'backs off longer after the second failure',
    );
    t.ok((await served(CUSTOM, await pebble!.roots())).authorized, 'the other domains are unaffected');
  },
);

t.test('a restart of the API orders nothing', async (t) => {
  const before = { custom: orders(CUSTOM), default: orders(DEFAULT_HOST), admin: orders(ADMIN) };
  const serial = (await served(CUSTOM, trust)).serial;
  await dockerCli(['service', 'update', '--force', '--detach=false', '--quiet', 'minicloud_api']);
  await waitFor(
    'the API answering again',
    async () => ((await adminApi('GET', '/v1/apps')).status === 200 ? true : undefined),
    120_000,
    1000,
  );
  // More than one pass of the renewer (every 30 s) after it started.
  await new Promise((r) => setTimeout(r, 45_000));
  t.same({ custom: orders(CUSTOM), default: orders(DEFAULT_HOST), admin: orders(ADMIN) }, before, 'no new order');
  t.equal((await served(CUSTOM, trust)).serial, serial, 'the same certificate serves');
});

t.test('a certificate near its end is renewed and swapped in without a failed request', async (t) => {
  // Pebble again, issuing certificates that end 30 days and 60 s after issue: 60 s after one is
  // issued, it is inside the 30-day renewal window.
  await pebble!.stop();
  pebble = await startPebble({ authzReusePercent: 0, validitySeconds: 30 * 86_400 + 60 });
  const root = await pebble.roots();
  trust += root;
  // A re-run given only the new CA bundle keeps the e-mail and the directory.
  await install([`--acme-ca-file=${pebble.caFile}`]);
  const kept = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as { settings: Record<string, string> };
  t.equal(kept.settings['acmeEmail'], 'ops@minicloud.test', 'the e-mail is kept');
  t.equal(kept.settings['acmeDirectory'], pebble.directoryUrl, 'the directory is kept');

  const added = await adminApi('POST', `/v1/apps/${APP}/domains?wait=true`, { domain: RENEW });
  t.ok(added.status === 200 || added.status === 201, JSON.stringify(added.json).slice(0, 300));
  const first = await servedByPebble(RENEW);
  let requests = 0;
  const failures: string[] = [];
  let looping = true;
  const loop = (async () => {
    while (looping) {
      try {
        const res = await httpsTo(RENEW, '/', { ca: root });
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      requests++;
    }
  })();
  const renewed = await waitFor(
    `${RENEW} served a renewed certificate`,
    async () => {
      const s = await served(RENEW, root);
      return s.authorized && s.serial !== first ? s.serial : undefined;
    },
    240_000,
    1000,
  );
  // A few more requests on the new certificate, then stop.
  await new Promise((r) => setTimeout(r, 3000));
  looping = false;
  await loop;
  t.not(renewed, first, 'a new certificate serves');
  t.ok(orders(RENEW) >= 2, 'ordered again');
  t.ok(requests > 50, `${requests} requests during the renewal`);
  t.same(failures, [], 'none failed');
});

t.test('installed again without ACME: the default options, the platform CA serves admin again', async (t) => {
  await backToDefaults();
  const platform = JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')) as {
    settings: Record<string, string>;
  };
  t.same(
    [platform.settings['acmeEmail'], platform.settings['acmeDirectory'], platform.settings['acmeCaFile']],
    ['', '', ''],
  );
  await waitFor(
    "admin served the platform CA's certificate",
    async () => ((await served(ADMIN, PLATFORM_CA())).authorized ? true : undefined),
    120_000,
    2000,
  );
  t.pass("admin.<domain> is the platform CA's again");
});
