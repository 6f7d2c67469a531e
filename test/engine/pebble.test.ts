import t from 'tap';
import { Resolver } from 'node:dns/promises';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import acme from 'acme-client';
import { certificateInfo, signedBy } from '@minicloud/core';
import { removeContainer } from '../helpers/backup-servers.js';
import { dockerCli, engineEnv, ensureOverlay, managerDocker, waitFor } from '../helpers/engine.js';
import { httpsGet, startPebble, type Pebble } from '../helpers/pebble.js';

// The ACME test server itself (test/helpers/pebble.ts), before any platform code relies on it:
// Pebble answers over TLS trusting only the generated listener CA, challtestsrv resolves every
// name to the manager unless told otherwise, a container on an overlay network (where the
// platform's API runs) reaches Pebble, and a real order through acme-client gets a certificate
// of the lifetime asked, chained to Pebble's root, while a name pointing nowhere fails.

const env = engineEnv();
const docker = managerDocker(env);
// Not the platform proxy's :80: this test must not depend on whether the test platform is installed.
const HTTP01_PORT = 5002;
const HOST_ADDR = process.env['MINICLOUD_TEST_HOST_ADDR'] ?? '10.79.0.254';
const OVERLAY = 'minicloud-test-pebble-probe';
const VALIDITY = 3600;
let pebble: Pebble;

t.before(async () => {
  pebble = await startPebble({ httpPort: HTTP01_PORT, validitySeconds: VALIDITY, authzReusePercent: 0 });
});
t.teardown(async () => {
  await pebble?.stop();
  await docker
    .getNetwork(OVERLAY)
    .remove()
    .catch(() => undefined);
});

t.test('the directory over TLS, trusting only the listener CA', async (t) => {
  t.equal(pebble.directoryUrl, `https://${env.swarmAddr}:14000/dir`);
  const reply = await httpsGet(pebble.directoryUrl, pebble.caPem);
  t.equal(reply.status, 200);
  const dir = JSON.parse(reply.body) as Record<string, unknown>;
  t.match(dir, { newNonce: String, newAccount: String, newOrder: String });
  // Node's own roots do not know the generated CA: the listener certificate is not trusted.
  await t.rejects(httpsGet(pebble.directoryUrl), { message: /self-signed|unable to verify|local issuer/i });
});

t.test('challtestsrv resolves every name to the manager, and one elsewhere on request', async (t) => {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([pebble.dnsServer]);
  t.same(await resolver.resolve4('anything.example.test'), [env.swarmAddr]);
  await pebble.setDnsA('elsewhere.example.test', '10.79.0.99');
  t.same(await resolver.resolve4('elsewhere.example.test'), ['10.79.0.99']);
  // Replaced, not appended: a second set leaves one address.
  await pebble.setDnsA('elsewhere.example.test', '10.79.0.98');
  t.same(await resolver.resolve4('elsewhere.example.test'), ['10.79.0.98']);
  t.same(await resolver.resolve4('anything.example.test'), [env.swarmAddr]);
  await pebble.clearDnsA('elsewhere.example.test');
  t.same(await resolver.resolve4('elsewhere.example.test'), [env.swarmAddr]);
});

t.test("Pebble's issuing root and intermediate from the management interface", async (t) => {
  const root = await pebble.roots();
  const intermediate = await pebble.intermediates();
  t.equal(new X509Certificate(root).ca, true, 'the root is a CA');
  t.equal(
    new X509Certificate(intermediate).verify(new X509Certificate(root).publicKey),
    true,
    'root signs intermediate',
  );
  t.not(root.trim(), pebble.caPem.trim(), 'the issuing root is not the listener CA');
});

t.test('a container on an attachable overlay network reaches Pebble (as the API will)', async (t) => {
  await ensureOverlay(docker, OVERLAY);
  const script =
    'require("https").get(process.env.URL, { ca: process.env.CA }, (r) => { let b = ""; r.on("data", (c) => (b += c)); ' +
    'r.on("end", () => { console.log(r.statusCode, JSON.parse(b).newOrder); }); })' +
    '.on("error", (e) => { console.error(String(e)); process.exit(1); });';
  for (const network of [OVERLAY, 'bridge']) {
    const out = await dockerCli(
      [
        ...['run', '--rm', '--network', network, '-e', `URL=${pebble.directoryUrl}`, '-e', `CA=${pebble.caPem}`],
        ...['minicloud/node:20', 'node', '-e', script],
      ],
      env,
    );
    t.equal(out.trim(), `200 https://${env.swarmAddr}:14000/order-plz`, `from ${network}`);
  }
});

t.test('a real order through acme-client: HTTP-01 answered, chain to the root, lifetime as set', async (t) => {
  // The answer comes from a container publishing a port on the manager, as the platform proxy
  // publishes :80 (mode host): the path Pebble's HTTP-01 check takes to the proxy.
  const answerer = 'minicloud-test-pebble-http01';
  t.teardown(() => removeContainer(docker, answerer));
  const challengeCreateFn = async (_a: unknown, challenge: { token: string }, keyAuthorization: string) => {
    await removeContainer(docker, answerer);
    const server =
      'require("http").createServer((q, s) => q.url === "/.well-known/acme-challenge/" + process.env.TOKEN ' +
      '? s.end(process.env.ANSWER) : s.writeHead(404).end()).listen(80)';
    await dockerCli(
      [
        ...['run', '-d', '--name', answerer, '-p', `${HTTP01_PORT}:80`],
        ...['-e', `TOKEN=${challenge.token}`, '-e', `ANSWER=${keyAuthorization}`],
        ...['minicloud/node:20', 'node', '-e', server],
      ],
      env,
    );
    const url = `http://${env.swarmAddr}:${HTTP01_PORT}/.well-known/acme-challenge/${challenge.token}`;
    await waitFor('the HTTP-01 answer', async () =>
      (await (await fetch(url)).text()) === keyAuthorization ? true : undefined,
    );
  };
  const challengeRemoveFn = () => removeContainer(docker, answerer);

  const client = new acme.Client({
    directoryUrl: pebble.directoryUrl,
    accountKey: await acme.crypto.createPrivateKey(),
  });
  // acme-client talks through axios; Pebble's listener is trusted only through the generated CA.
  acme.axios.defaults.httpsAgent = new Agent({ ca: pebble.caPem });

  // Resolved by challtestsrv to the manager, as every name is by default.
  const good = 'good.pebble-smoke.test';
  const [key, csr] = await acme.crypto.createCsr({ commonName: good, altNames: [good] });
  const started = Date.now();
  const pem = await client.auto({
    csr,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // acme-client's own pre-check would look the name up in this host's DNS, which knows nothing of it.
    skipChallengeVerification: true,
    challengeCreateFn,
    challengeRemoveFn,
  });
  t.comment(`issued in ${Date.now() - started} ms`);
  const chain = pem.split(/(?<=-----END CERTIFICATE-----)\s*/).filter((p) => p.includes('BEGIN CERTIFICATE'));
  t.ok(chain.length >= 2, 'leaf and intermediate');
  t.equal(
    createPublicKey(key).export({ type: 'spki', format: 'pem' }),
    new X509Certificate(chain[0]!).publicKey.export({ type: 'spki', format: 'pem' }),
    'the key is the certificate key',
  );
  const info = certificateInfo(chain[0]!);
  t.same(info.dnsNames, [good]);
  t.ok(signedBy(chain[0]!, chain[1]!), 'the intermediate signs the leaf');
  t.ok(signedBy(chain[1]!, await pebble.roots()), 'the root signs the intermediate');
  const lifetime = (info.notAfter.getTime() - info.notBefore.getTime()) / 1000;
  t.ok(Math.abs(lifetime - VALIDITY) <= 1, `lifetime ${lifetime} s is certificateValidityPeriod`);

  // Pointing elsewhere (this host on the test net, where nothing answers on that port): the
  // challenge fails, and the order with it.
  const bad = 'bad.pebble-smoke.test';
  await pebble.setDnsA(bad, HOST_ADDR);
  const [, badCsr] = await acme.crypto.createCsr({ commonName: bad, altNames: [bad] });
  const refused = await client
    .auto({
      csr: badCsr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      skipChallengeVerification: true,
      challengeCreateFn,
      challengeRemoveFn,
    })
    .then(
      () => 'issued',
      (error: Error) => error.message,
    );
  t.comment(`refused: ${refused}`);
  t.match(refused, /connection refused/i, 'the order failed on its HTTP-01 check');
  t.match(refused, HOST_ADDR, 'at the address challtestsrv was told');
});

t.test('a second start replaces the running one (idempotent)', async (t) => {
  const before = await pebble.roots();
  const again = await startPebble({ httpPort: HTTP01_PORT, validitySeconds: VALIDITY });
  const old = pebble;
  pebble = again;
  t.not(await pebble.roots(), before, 'a new Pebble makes a new root');
  // The new listener has a new CA: the old one no longer verifies it.
  await t.rejects(httpsGet(pebble.directoryUrl, old.caPem), { message: /self-signed|unable to verify|local issuer/i });
  // The replaced helper's stop leaves the new containers running.
  await old.stop();
  t.equal((await httpsGet(pebble.directoryUrl, pebble.caPem)).status, 200);
});
