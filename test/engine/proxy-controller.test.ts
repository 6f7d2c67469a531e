import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TLSSocket } from 'node:tls';
import {
  createCa,
  issueCertificate,
  isMinicloudError,
  loadTemplates,
  NginxProxyController,
  platformLayout,
  platformSettings,
  renderManagementFiles,
  Sensitive,
  type CertificateFiles,
  type ProxyRoute,
} from '@minicloud/core';
import { opensslCert } from '../helpers/certs.js';
import { engineEnv, managerDocker, waitFor } from '../helpers/engine.js';

// The proxy controller against a real nginx: the Debian image, run with the management
// stack's own rendered config and exactly the stack's mounts, in front of the hello test app.
// A plain container stands in for the proxy service's task: it carries the label a swarm task
// has (com.docker.swarm.service.name), which is how the controller finds the container to reload.

const exec = promisify(execFile);
const env = engineEnv();
const docker = managerDocker(env);
/** Where the manager publishes the proxy's ports: its own address in its namespace. */
const HOST = env.swarmAddr;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const id = `mc-proxytest-${process.pid}`;
const DOMAIN = 'mc-test.localhost';
const HELLO = `hello.${DOMAIN}`;
const OTHER = `other.${DOMAIN}`;
const HELLO_IMAGE = `${env.registry}/hello:1`;

async function ensureImage(tag: string, debianService?: string): Promise<void> {
  if (
    await docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  )
    return;
  if (debianService) {
    // The management stack's build function, cached by an input hash like every test image.
    const script =
      'set -euo pipefail; REPO=$1; . "$REPO/scripts/engine/lib.sh"; . "$REPO/scripts/engine/images.sh"; ' +
      '. "$REPO/install/lib/images.sh"; mkdir -p "$MC_LOGS" "$MC_BUILD"; build_base; build_debian_service "$2"';
    await exec('bash', ['-c', script, 'bash', repo, debianService], { timeout: 600_000 });
    return;
  }
  const stream = await docker.pull(tag);
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e) => (e ? reject(e) : resolve(null))));
}

interface Answer {
  status: number;
  body: string;
  location?: string | undefined;
  peerCn?: string | undefined;
  /** The curve of the server's key when it is an ECDSA one (prime256v1, secp384r1). */
  peerCurve?: string | undefined;
}

/** GET over HTTPS to the published port with SNI and Host set to the domain, trusting the test CA. */
function httpsGet(port: number, domain: string, ca: string, agent?: Agent, path = '/'): Promise<Answer> {
  const options: RequestOptions = {
    host: HOST,
    port,
    path,
    servername: domain,
    headers: { host: domain },
    ca,
    agent: agent ?? false,
    timeout: 5000,
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      // Read now: with keep-alive the socket goes back to the pool before 'end'.
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      const peerCn = String(peer.subject?.CN ?? '');
      const peerCurve = (peer as { asn1Curve?: string }).asn1Curve;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          peerCn,
          peerCurve,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    // reusedSocket: the request went out on a kept-alive connection (see the load test).
    req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end();
  });
}

function httpGet(port: number, domain: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: HOST, port, path, headers: { host: domain }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: '', location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
}

t.test('the proxy controller drives a real nginx', async (t) => {
  await Promise.all([ensureImage('minicloud/nginx:bookworm', 'nginx'), ensureImage(HELLO_IMAGE)]);

  // A data dir laid out like the platform's, with the management stack's proxy files rendered.
  const root = await mkdtemp(join(tmpdir(), 'mc-proxytest-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const layout = platformLayout(join(root, 'data'));
  const settings = platformSettings({
    dataDir: layout.dataDir,
    domain: DOMAIN,
    registryAddr: env.registry,
    imagesMode: 'debian',
    images: { proxy: 'minicloud/nginx:bookworm', registry: 'r', mariadb: 'm', rabbitmq: 'q', api: 'a' },
  });
  const files = renderManagementFiles(await loadTemplates(join(repo, 'stacks/management')), settings);
  for (const [path, text] of Object.entries(files).filter(([p]) => p.startsWith('proxy/'))) {
    const target = join(layout.managementDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  const ca = createCa();
  const base = issueCertificate(ca, {
    commonName: DOMAIN,
    dnsNames: [`admin.${DOMAIN}`, `*.${DOMAIN}`],
    ips: [],
    days: 30,
  });
  await mkdir(layout.proxyTlsDir, { recursive: true });
  await writeFile(join(layout.proxyTlsDir, 'tls.crt'), base.cert);
  await writeFile(join(layout.proxyTlsDir, 'tls.key'), base.key.reveal(), { mode: 0o600 });
  // admin.conf names admin.<domain>'s own certificate (platform init copies the proxy's there),
  // and the app manager hands it to every reconcile with the apps' (a domain it is not given is
  // pruned): so does this test.
  const adminTls = join(layout.proxyTlsDir, 'domains', `admin.${DOMAIN}`);
  await mkdir(adminTls, { recursive: true });
  await writeFile(join(adminTls, 'tls.crt'), base.cert);
  await writeFile(join(adminTls, 'tls.key'), base.key.reveal(), { mode: 0o600 });
  const adminCert: CertificateFiles = { certificatePem: base.cert, privateKeyPem: base.key };
  const withAdmin = (certs: Map<string, CertificateFiles>) =>
    new Map<string, CertificateFiles>([...certs, [`admin.${DOMAIN}`, adminCert]]);
  await mkdir(layout.publicDir, { recursive: true });
  const certFor = (domain: string): CertificateFiles => {
    const c = issueCertificate(ca, { commonName: domain, dnsNames: [domain], ips: [], days: 30 });
    return { certificatePem: c.cert, privateKeyPem: c.key };
  };

  // The hello app, reachable by name from nginx through Docker's DNS (127.0.0.11).
  const network = await docker.createNetwork({ Name: id, Driver: 'bridge', Labels: { 'minicloud.test': 'proxy' } });
  const hello = await docker.createContainer({
    name: `${id}-hello`,
    Image: HELLO_IMAGE,
    HostConfig: { NetworkMode: id },
    NetworkingConfig: { EndpointsConfig: { [id]: { Aliases: ['hello-web'] } } },
  });
  // The proxy: the stack's command, mounts and published ports (on the manager's address only here).
  const proxy = await docker.createContainer({
    name: `${id}-proxy`,
    Image: 'minicloud/nginx:bookworm',
    Cmd: ['nginx', '-c', '/etc/nginx/minicloud/nginx.conf', '-g', 'daemon off;'],
    Labels: { 'com.docker.swarm.service.name': id, 'minicloud.test': 'proxy' },
    HostConfig: {
      NetworkMode: id,
      Binds: [
        `${layout.proxyDir}:/etc/nginx/minicloud:ro`,
        `${layout.proxyTlsDir}:/etc/nginx/tls:ro`,
        `${layout.publicDir}:/usr/share/minicloud/public:ro`,
      ],
      PortBindings: {
        '80/tcp': [{ HostIp: HOST, HostPort: '' }],
        '443/tcp': [{ HostIp: HOST, HostPort: '' }],
      },
    },
  });
  t.teardown(async () => {
    await proxy.remove({ force: true }).catch(() => undefined);
    await hello.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  });
  await hello.start();
  await proxy.start();
  const ports = (await proxy.inspect()).NetworkSettings.Ports;
  const http = Number(ports['80/tcp']?.[0]?.HostPort);
  const https = Number(ports['443/tcp']?.[0]?.HostPort);
  await waitFor('nginx to answer', async () =>
    (await httpGet(http, 'x', '/healthz')).status === 200 ? true : undefined,
  );

  const controller = new NginxProxyController({
    docker,
    proxyDir: layout.proxyDir,
    proxyConfD: layout.proxyConfD,
    proxyTlsDir: layout.proxyTlsDir,
    serviceName: id,
  });
  const helloRoute: ProxyRoute = { app: 'hello', domains: [HELLO], upstream: 'hello-web', port: 80 };
  const helloCert = certFor(HELLO);
  /**
   * The pids of nginx's workers (one per core): a reload replaces them all, so unchanged pids
   * mean no reload happened. Workers of an earlier reload may still be finishing ("shutting
   * down"); wait until only the current ones are left.
   */
  const worker = () =>
    waitFor('the current nginx workers', async () => {
      const { Processes } = (await proxy.top({ ps_args: '-eo pid,args' })) as { Processes: string[][] };
      const rows = Processes.filter((p) => p.join(' ').includes('worker process'));
      if (rows.length === 0 || rows.some((r) => r.join(' ').includes('shutting down'))) return undefined;
      return rows
        .map((r) => r[0]!)
        .sort()
        .join(',');
    });
  const confD = async () => (await readdir(layout.proxyConfD)).sort();
  const servesHello = async () => {
    const r = await httpsGet(https, HELLO, ca.cert);
    return r.status === 200 && r.body.includes('"app":"hello"') ? r : undefined;
  };

  await t.test('a route with its certificate is served over HTTPS, and HTTP redirects', async (t) => {
    const result = await controller.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]])));
    t.same(result, { changed: [`domains/${HELLO}`, 'app-hello.conf', 'app-hello.upstream.conf'], reloaded: true });
    const answer = await waitFor('nginx to serve the new route', servesHello, 10_000, 100);
    t.match(JSON.parse(answer.body), { app: 'hello', version: '1' });
    t.equal(answer.peerCn, HELLO, "the domain's own certificate, checked against the test CA");
    const redirect = await httpGet(http, HELLO, '/some/path?q=1');
    t.equal(redirect.status, 301);
    t.equal(redirect.location, `https://${HELLO}/some/path?q=1`);
    t.equal((await stat(join(layout.proxyTlsDir, 'domains', HELLO, 'tls.key'))).mode & 0o777, 0o600, 'key is 0600');
    t.same(await confD(), ['.gitignore', '00-default.conf', 'admin.conf', 'app-hello.conf', 'app-hello.upstream.conf']);
  });

  await t.test('an ECDSA certificate replaces the RSA one, and nginx serves it', async (t) => {
    for (const curve of ['P-256', 'P-384']) {
      const ec = opensslCert({ key: `ec:${curve}`, names: [HELLO] });
      const files: CertificateFiles = { certificatePem: ec.cert, privateKeyPem: new Sensitive(ec.key) };
      t.same(await controller.reconcile([helloRoute], withAdmin(new Map([[HELLO, files]]))), {
        changed: [`domains/${HELLO}`],
        reloaded: true,
      });
      // Trusting only the new self-signed certificate: the handshake proves which one nginx serves.
      const answer = await waitFor(`nginx to serve the ${curve} certificate`, async () => {
        const r = await httpsGet(https, HELLO, ec.cert).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      });
      t.equal(answer.peerCurve, curve === 'P-256' ? 'prime256v1' : 'secp384r1');
    }
    t.same(await controller.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]]))), {
      changed: [`domains/${HELLO}`],
      reloaded: true,
    });
    await waitFor('nginx to serve the RSA certificate again', servesHello, 10_000, 100);
  });

  await t.test('no query string in the logs: the access log has paths, the webhook no error lines', async (t) => {
    const logs = async () =>
      ((await proxy.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer).toString();
    await httpsGet(https, HELLO, ca.cert, undefined, '/page?token=app-secret-1');
    // admin.<domain>'s upstream (minicloud_api) does not resolve here: nginx answers 502 and
    // writes an error line, which holds the whole request line, query included.
    const hook = await httpsGet(https, `admin.${DOMAIN}`, ca.cert, undefined, '/v1/hooks/hello?token=hook-secret-2');
    t.equal(hook.status, 502);
    const other = await httpsGet(https, `admin.${DOMAIN}`, ca.cert, undefined, '/v1/apps?token=control-3');
    t.equal(other.status, 502);
    // The access log is buffered for up to a second (nginx.conf).
    const text = await waitFor('the access log lines', async () => {
      const all = await logs();
      return all.includes('"GET /v1/apps HTTP/1.1" 502') ? all : undefined;
    });
    t.match(text, /"GET \/page HTTP\/1\.1" \d{3}/, 'the app request, by its path');
    t.match(text, `"GET /v1/hooks/hello HTTP/1.1" 502`, 'the webhook call, by its path');
    t.notMatch(text, 'app-secret-1', "an app's query string is not logged");
    t.notMatch(text, 'hook-secret-2', "the webhook's token is in no access or error line");
    // The control: elsewhere nginx's error line does carry the query, hence the hook location's.
    t.match(text, /could not be resolved.*request: "GET \/v1\/apps\?token=control-3 HTTP\/1\.1"/);
  });

  await t.test('the same routes again change nothing and do not reload', async (t) => {
    const before = await worker();
    t.same(await controller.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]]))), {
      changed: [],
      reloaded: false,
    });
    t.equal(await worker(), before);
  });

  await t.test('a configuration nginx refuses is reported with its words and changes nothing', async (t) => {
    const before = { confD: await confD(), hello: await readFile(join(layout.proxyConfD, 'app-hello.conf'), 'utf8') };
    const pid = await worker();
    const noCert: ProxyRoute = { app: 'other', domains: [OTHER], upstream: 'hello-web', port: 80 };
    const missing = await messageOf(
      controller.reconcile([helloRoute, noCert], withAdmin(new Map([[HELLO, helloCert]]))),
    );
    t.match(
      missing,
      `MC_PROXY_INVALID: nginx refused the new proxy configuration: [emerg] cannot load certificate "/etc/nginx/tls/domains/${OTHER}/tls.crt": BIO_new_file() failed`,
    );
    // A certificate whose key belongs to another: nginx's own check, not a guess of ours.
    const wrongKey = { certificatePem: certFor(OTHER).certificatePem, privateKeyPem: certFor(OTHER).privateKeyPem };
    const mismatch = await messageOf(
      controller.reconcile(
        [{ ...helloRoute, port: 8080 }, noCert],
        withAdmin(
          new Map([
            [HELLO, helloCert],
            [OTHER, wrongKey],
          ]),
        ),
      ),
    );
    t.match(mismatch, /^MC_PROXY_INVALID: nginx refused .*key values mismatch/);
    t.same(await confD(), before.confD, 'conf.d is as it was');
    t.equal(
      await readFile(join(layout.proxyConfD, 'app-hello.conf'), 'utf8'),
      before.hello,
      'the valid change was not applied either',
    );
    t.same(
      await readdir(join(layout.proxyTlsDir, 'domains')),
      [`admin.${DOMAIN}`, HELLO],
      'the refused certificate was not written',
    );
    t.equal(await worker(), pid, 'no reload');
    t.ok(await servesHello(), 'the old configuration keeps serving');
    t.same(
      (await readdir(layout.managementDir)).filter((n) => n.includes('check')),
      [],
      'no staging dir is left behind',
    );
    t.same(
      (await readdir(join(layout.dataDir, 'pki'))).filter((n) => n.includes('check')),
      [],
      'no staging TLS dir is left behind',
    );
    const leftovers = await docker.listContainers({ all: true, filters: { label: ['minicloud.role=proxy-check'] } });
    t.same(leftovers, [], 'no check container is left behind');
  });

  await t.test('removing the route makes the domain 404 and keeps the platform files', async (t) => {
    t.same(await controller.reconcile([], withAdmin(new Map())), {
      changed: ['app-hello.conf', 'app-hello.upstream.conf', `domains/${HELLO} (removed)`],
      reloaded: true,
    });
    const gone = await waitFor(
      'the route to disappear',
      async () => {
        const r = await httpsGet(https, HELLO, ca.cert);
        return r.status === 404 ? r : undefined;
      },
      10_000,
      100,
    );
    t.match(gone.body, /no app answers on this host name/);
    t.same(await confD(), ['.gitignore', '00-default.conf', 'admin.conf']);
    t.same(
      await readdir(join(layout.proxyTlsDir, 'domains')),
      [`admin.${DOMAIN}`],
      "its certificate was pruned (admin.<domain>'s, handed over, stays)",
    );
  });

  await t.test('with no proxy task running, the image comes from the service spec and nothing reloads', async (t) => {
    // A service with no task: what the controller sees while the proxy restarts. nginx will read
    // the files when it starts, but they are checked all the same.
    const name = `${id}-svc`;
    const service = await docker.createService({
      Name: name,
      Labels: { 'minicloud.test': 'proxy' },
      TaskTemplate: { ContainerSpec: { Image: 'minicloud/nginx:bookworm' } },
      Mode: { Replicated: { Replicas: 0 } },
    });
    t.teardown(() => service.remove().catch(() => undefined));
    const idle = new NginxProxyController({
      docker,
      proxyDir: layout.proxyDir,
      proxyTlsDir: layout.proxyTlsDir,
      serviceName: name,
    });
    const pid = await worker();
    const noCert: ProxyRoute = { app: 'other', domains: [OTHER], upstream: 'hello-web', port: 80 };
    t.match(
      await messageOf(idle.reconcile([noCert], withAdmin(new Map()))),
      /^MC_PROXY_INVALID: .*cannot load certificate/,
    );
    t.same(await idle.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]]))), {
      changed: [`domains/${HELLO}`, 'app-hello.conf', 'app-hello.upstream.conf'],
      reloaded: false,
    });
    t.equal(await worker(), pid, 'the running test proxy (another service name) was not reloaded');
    // Back to what the running test proxy serves (no routes), for the next test.
    await idle.reconcile([], withAdmin(new Map()));
    // No task and no service: nothing to check with, so nothing is written.
    const missing = new NginxProxyController({
      docker,
      proxyDir: layout.proxyDir,
      proxyTlsDir: layout.proxyTlsDir,
      serviceName: `${id}-none`,
    });
    t.match(
      await messageOf(missing.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]])))),
      /^MC_PROXY: inspect service mc-proxytest-\d+-none: /,
    );
    t.same(await confD(), ['.gitignore', '00-default.conf', 'admin.conf']);
  });

  await t.test('reloads under load drop no request', async (t) => {
    await controller.reconcile([helloRoute], withAdmin(new Map([[HELLO, helloCert]])));
    await waitFor('hello again', servesHello, 10_000, 100);
    const otherCert = certFor(OTHER);
    // Two clients open a connection per request: none of those may fail. Two keep their
    // connections alive, the hard case: on a reload the old workers finish the requests they
    // are serving and close their idle connections, and a request sent at that very moment
    // meets a closed socket. HTTP lets a server close an idle connection at any time and has
    // clients retry idempotent requests (RFC 9112 9.3.1); Node documents the test for it
    // (req.reusedSocket and ECONNRESET) and browsers do it, so those are retried once, on a
    // new connection, and counted. Any other failure, or a failed retry, fails the test.
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    t.teardown(() => agent.destroy());
    let stop = false;
    let ok = 0;
    let retried = 0;
    const failures: string[] = [];
    const once = async (keepAlive: boolean): Promise<Answer> => {
      try {
        return await httpsGet(https, HELLO, ca.cert, keepAlive ? agent : undefined);
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (!keepAlive || !e.reusedSocket || e.code !== 'ECONNRESET') throw error;
        retried++;
        return httpsGet(https, HELLO, ca.cert);
      }
    };
    const client = async (keepAlive: boolean) => {
      while (!stop || ok + failures.length < 200) {
        try {
          const r = await once(keepAlive);
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (error) {
          const reused = (error as { reusedSocket?: boolean }).reusedSocket ? ' (reused socket)' : '';
          failures.push(`${keepAlive ? 'keep-alive' : 'new connection'}${reused}: ${String(error)}`);
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const started = Date.now();
    const load = Promise.all([client(false), client(false), client(true), client(true)]);
    const reloads: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      // Alternately add and remove a second app: each apply is a real change and a reload.
      const routes =
        i % 2 === 0 ? [helloRoute, { app: 'other', domains: [OTHER], upstream: 'hello-web', port: 80 }] : [helloRoute];
      const certs = new Map([[HELLO, helloCert], ...(i % 2 === 0 ? ([[OTHER, otherCert]] as const) : [])]);
      reloads.push((await controller.reconcile(routes, withAdmin(certs))).reloaded);
    }
    stop = true;
    await load;
    const seconds = (Date.now() - started) / 1000;
    t.comment(
      `${ok + failures.length} requests in ${seconds.toFixed(1)} s across 5 reloads; ${retried} retried after an idle keep-alive close`,
    );
    t.same(reloads, [true, true, true, true, true], 'five reloads');
    t.ok(ok + failures.length >= 200, 'at least 200 requests');
    t.same(failures, [], 'no request failed');
  });
});
