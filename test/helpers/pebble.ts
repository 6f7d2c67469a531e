import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createCa, issueCertificate } from '@minicloud/core';
import { removeContainer } from './backup-servers.js';
import { engineEnv, managerDocker, waitFor, type EngineEnv } from './engine.js';

// A real ACME server for the certificate tests: Let's Encrypt's Pebble and its mock DNS server
// (pebble-challtestsrv), both from Debian's pebble 2.4.0 package (image minicloud/pebble:test,
// built by scripts/engine/up.sh), as two containers on the test MANAGER engine with host
// networking, so they listen on the swarm address (10.79.0.1) in the manager's network namespace:
//
//   Pebble ACME (HTTPS)          10.79.0.1:14000   directory https://10.79.0.1:14000/dir
//   Pebble management (HTTPS)    10.79.0.1:15000   /roots/0, /intermediates/0
//   challtestsrv DNS (UDP, TCP)  10.79.0.1:8053    every A query: 10.79.0.1 unless setDnsA
//   challtestsrv management      10.79.0.1:8055    plain HTTP: /add-a, /clear-a
//
// None clashes with the test platform (80, 443, 5443) or the fixture registry (5000). Pebble
// resolves every name through challtestsrv (-dnsserver), so each domain points at the manager,
// and validates HTTP-01 on port `httpPort` there (80: the platform proxy). tlsPort 5001 is a port
// nothing listens on (TLS-ALPN-01 always fails; no test uses it); challtestsrv's own HTTP-01,
// HTTPS and TLS-ALPN responders are off, so it binds only its DNS and management ports.
// challtestsrv answers no AAAA records: Pebble would otherwise try ::1 first.
//
// Pebble's defaults stay on: 5% of requests are refused with badNonce (PEBBLE_WFE_NONCEREJECT),
// which a correct ACME client retries; only the validation sleep is off (PEBBLE_VA_NOSLEEP=1).
// Its listener certificate is made here by the platform's own PKI helpers (node-forge), for the
// IP 10.79.0.1; `caFile` is the CA to give the ACME client (`--acme-ca-file`). Pebble's issuing
// root is another thing: `roots()`, fetched from the management interface, changes every start.
//
// Certificate lifetime: Pebble 2.4.0 reads `certificateValidityPeriod` (seconds) from the
// `pebble` object of its config (ca.New in ca/ca.go of tag v2.4.0; 0 or absent: the default
// 157766400 s, five years). `validitySeconds` sets it, so a renewal test can get certificates
// that are near their end at once. (An ACME order's own notAfter field is honoured too, but
// acme-client's createOrder would have to send it.) Notice the certificate's notAfter is
// notBefore + period - 1 s, and notBefore is the moment of issue (no backdating).

export const PEBBLE_IMAGE = 'minicloud/pebble:test';
export const PEBBLE_CONTAINER = 'minicloud-test-pebble';
export const CHALLTESTSRV_CONTAINER = 'minicloud-test-challtestsrv';
export const PEBBLE_PORTS = { acme: 14000, management: 15000, dns: 8053, dnsManagement: 8055, tls: 5001 } as const;

export interface PebbleOptions {
  /** Port on the resolved address where Pebble fetches HTTP-01 answers; default 80 (the platform proxy). */
  httpPort?: number;
  /** Lifetime of issued certificates in seconds (`certificateValidityPeriod`); default Pebble's five years. */
  validitySeconds?: number;
  /** Percentage of requests refused with badNonce; default Pebble's own (5). */
  nonceRejectPercent?: number;
  /**
   * Percentage of new orders that reuse an account's valid authorization instead of a new
   * challenge (PEBBLE_AUTHZREUSE); default Pebble's own (50). 0 makes every order, a renewal
   * too, pass a fresh HTTP-01 check.
   */
  authzReusePercent?: number;
  env?: EngineEnv;
}

export interface Pebble {
  /** `https://10.79.0.1:14000/dir` */
  directoryUrl: string;
  /** `https://10.79.0.1:15000` */
  managementUrl: string;
  /** `10.79.0.1:8053`: challtestsrv's DNS, which Pebble resolves through. */
  dnsServer: string;
  /** Path of the PEM of the CA that signed Pebble's listener certificate (for `--acme-ca-file`). */
  caFile: string;
  /** That PEM itself. */
  caPem: string;
  /** Pebble's issuing root (management `/roots/0`), PEM: what issued chains end at. */
  roots(): Promise<string>;
  /** Pebble's intermediate (management `/intermediates/0`), PEM. */
  intermediates(): Promise<string>;
  /** From now on `host` resolves (A) to `addr` only, not to the manager. */
  setDnsA(host: string, addr: string): Promise<void>;
  /** `host` resolves to the manager again. */
  clearDnsA(host: string): Promise<void>;
  /** Both containers' output, for a failing test's message. */
  logs(): Promise<string>;
  /** Removes both containers (unless a later start replaced them) and the files. */
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
}

/** A GET over HTTPS trusting only `ca`; without it, Node's default roots (which never know Pebble's). */
export function httpsGet(url: string, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca !== undefined ? { ca } : {}), agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function httpPost(url: string, body: unknown): Promise<Reply> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent: false, timeout: 10_000, headers: { 'content-type': 'application/json' } },
      (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (out += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(text);
  });
}

/** A stopped-following container log, out of Docker's multiplexed frames (8-byte header, then text). */
function demux(buf: Buffer): string {
  let out = '';
  for (let at = 0; at + 8 <= buf.length;) {
    const size = buf.readUInt32BE(at + 4);
    out += buf.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return out;
}

async function containerLogs(docker: Docker, name: string): Promise<string> {
  try {
    return demux((await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: 200 })) as Buffer);
  } catch (error) {
    return `(no logs: ${(error as Error).message})`;
  }
}

/** Replaces any container of that name (a leftover of an earlier run) with a new one; its id. */
async function run(docker: Docker, name: string, options: Docker.ContainerCreateOptions): Promise<string> {
  await removeContainer(docker, name);
  const container = await docker.createContainer({
    name,
    Image: PEBBLE_IMAGE,
    Labels: { 'minicloud.test': 'pebble' },
    ...options,
    HostConfig: { NetworkMode: 'host', ...options.HostConfig },
  });
  await container.start();
  return container.id;
}

/**
 * Starts challtestsrv and Pebble (replacing leftovers of an earlier run) and waits until
 * Pebble's directory answers over TLS and challtestsrv's management API answers.
 */
export async function startPebble(options: PebbleOptions = {}): Promise<Pebble> {
  const env = options.env ?? engineEnv();
  const docker = managerDocker(env);
  const addr = env.swarmAddr;
  const ports = PEBBLE_PORTS;

  // Readable by the containers' user (nobody): a throwaway key for a test server.
  const dir = mkdtempSync(join(tmpdir(), 'mc-pebble-'));
  chmodSync(dir, 0o755);
  const ca = createCa(new Date(), 30, 'minicloud test Pebble listener CA');
  const listener = issueCertificate(ca, { commonName: 'pebble', dnsNames: ['pebble'], ips: [addr], days: 30 });
  const caFile = join(dir, 'listener-ca.pem');
  writeFileSync(caFile, ca.cert, { mode: 0o644 });
  writeFileSync(join(dir, 'cert.pem'), listener.cert, { mode: 0o644 });
  writeFileSync(join(dir, 'key.pem'), listener.key.reveal(), { mode: 0o644 });
  writeFileSync(
    join(dir, 'pebble-config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `${addr}:${ports.acme}`,
        managementListenAddress: `${addr}:${ports.management}`,
        certificate: '/etc/pebble/cert.pem',
        privateKey: '/etc/pebble/key.pem',
        httpPort: options.httpPort ?? 80,
        tlsPort: ports.tls,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(options.validitySeconds !== undefined ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    }),
    { mode: 0o644 },
  );

  const dnsManagement = `http://${addr}:${ports.dnsManagement}`;
  const managementUrl = `https://${addr}:${ports.management}`;
  // By id: once a later startPebble has replaced these containers, an earlier stop leaves them be.
  const started: string[] = [];
  const stop = async (): Promise<void> => {
    for (const id of started) await removeContainer(docker, id);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    started.push(
      await run(docker, CHALLTESTSRV_CONTAINER, {
        Cmd: [
          '/usr/bin/pebble-challtestsrv',
          `-dns01=${addr}:${ports.dns}`,
          `-management=${addr}:${ports.dnsManagement}`,
          `-defaultIPv4=${addr}`,
          '-defaultIPv6=',
          '-http01=',
          '-https01=',
          '-tlsalpn01=',
        ],
      }),
    );
    started.push(
      await run(docker, PEBBLE_CONTAINER, {
        Cmd: ['/usr/bin/pebble', '-config', '/etc/pebble/pebble-config.json', '-dnsserver', `${addr}:${ports.dns}`],
        Env: [
          'PEBBLE_VA_NOSLEEP=1',
          ...(options.nonceRejectPercent !== undefined ? [`PEBBLE_WFE_NONCEREJECT=${options.nonceRejectPercent}`] : []),
          ...(options.authzReusePercent !== undefined ? [`PEBBLE_AUTHZREUSE=${options.authzReusePercent}`] : []),
        ],
        HostConfig: { Binds: [`${dir}:/etc/pebble:ro`] },
      }),
    );
    const directoryUrl = `https://${addr}:${ports.acme}/dir`;
    await waitFor(
      'Pebble and challtestsrv to answer',
      async () => {
        const [dirReply, dnsReply] = await Promise.all([
          httpsGet(directoryUrl, ca.cert),
          httpPost(`${dnsManagement}/clear-a`, { host: 'ready.pebble.test' }),
        ]);
        return dirReply.status === 200 && dnsReply.status === 200 ? true : undefined;
      },
      30_000,
      200,
    );

    const managementPem = async (path: string): Promise<string> => {
      const reply = await httpsGet(`${managementUrl}${path}`, ca.cert);
      if (reply.status !== 200) throw new Error(`Pebble ${path}: HTTP ${reply.status} ${reply.body}`);
      return reply.body;
    };
    const dnsCall = async (path: string, body: unknown): Promise<void> => {
      const reply = await httpPost(`${dnsManagement}${path}`, body);
      if (reply.status !== 200) throw new Error(`challtestsrv ${path}: HTTP ${reply.status} ${reply.body}`);
    };
    return {
      directoryUrl,
      managementUrl,
      dnsServer: `${addr}:${ports.dns}`,
      caFile,
      caPem: ca.cert,
      roots: () => managementPem('/roots/0'),
      intermediates: () => managementPem('/intermediates/0'),
      // challtestsrv's add-a appends to what the host had: clear first for "this address only".
      setDnsA: async (host, to) => {
        await dnsCall('/clear-a', { host });
        await dnsCall('/add-a', { host, addresses: [to] });
      },
      clearDnsA: (host) => dnsCall('/clear-a', { host }),
      logs: async () =>
        `--- pebble\n${await containerLogs(docker, PEBBLE_CONTAINER)}\n--- challtestsrv\n${await containerLogs(docker, CHALLTESTSRV_CONTAINER)}`,
      stop,
    };
  } catch (error) {
    const logs = `${await containerLogs(docker, PEBBLE_CONTAINER)}\n${await containerLogs(docker, CHALLTESTSRV_CONTAINER)}`;
    await stop();
    throw new Error(`Pebble did not start: ${(error as Error).message}\n${logs}`);
  }
}
