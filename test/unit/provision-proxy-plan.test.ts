import t from 'tap';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  isMinicloudError,
  NginxProxyController,
  planChangesConfig,
  planProxyChanges,
  Sensitive,
  type CertificateFiles,
} from '@minicloud/core';

// The proxy controller's plan, as data: which app configs and certificates to write, delete or
// prune. The real nginx (check, swap, reload, traffic) is in test/engine/proxy-controller.test.ts.

const cert = (n: string): CertificateFiles => ({
  certificatePem: `CERT ${n}`,
  privateKeyPem: new Sensitive(`KEY ${n}`),
});

t.test('nothing to do when the live files already match', async (t) => {
  const plan = planProxyChanges(
    { confs: { 'app-a.conf': 'A' }, certs: { 'a.test': { cert: 'CERT a', key: 'KEY a' } }, certDomains: ['a.test'] },
    { confs: { 'app-a.conf': 'A' }, certificates: new Map([['a.test', cert('a')]]), routedDomains: ['a.test'] },
  );
  t.same(plan, { writeConfs: [], deleteConfs: [], writeCerts: [], pruneCerts: [] });
  t.equal(planChangesConfig(plan), false);
});

t.test('new, changed and removed routes and certificates', async (t) => {
  const plan = planProxyChanges(
    {
      confs: { 'app-a.conf': 'A', 'app-b.conf': 'B', 'app-gone.conf': 'G' },
      certs: { 'a.test': { cert: 'CERT a', key: 'KEY old' }, 'c.test': {} },
      certDomains: ['a.test', 'gone.test', 'b.test'],
    },
    {
      confs: { 'app-a.conf': 'A', 'app-b.conf': 'B2', 'app-c.conf': 'C' },
      certificates: new Map([
        ['a.test', cert('a')],
        ['c.test', cert('c')],
      ]),
      routedDomains: ['a.test', 'b.test', 'c.test'],
    },
  );
  t.same(plan.writeConfs, [
    ['app-b.conf', 'B2'],
    ['app-c.conf', 'C'],
  ]);
  t.same(plan.deleteConfs, ['app-gone.conf']);
  t.same(
    plan.writeCerts.map(([d]) => d),
    ['a.test', 'c.test'],
    'a changed key is a change',
  );
  t.same(plan.pruneCerts, ['gone.test'], 'b.test stays: a route still uses it');
  t.equal(planChangesConfig(plan), true);
  t.equal(
    planChangesConfig({ writeConfs: [], deleteConfs: [], writeCerts: [], pruneCerts: ['x'] }),
    false,
    'pruning unreferenced certificates needs no reload',
  );
});

t.test('a certificate for a domain that is not a host name is refused before any file or engine call', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mc-proxy-plan-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'proxy', 'conf.d'), { recursive: true });
  await writeFile(join(dir, 'proxy', 'conf.d', 'admin.conf'), 'server {}');
  // Any engine call would throw a TypeError: the refusal must come first.
  const controller = new NginxProxyController({
    docker: {} as Docker,
    proxyDir: join(dir, 'proxy'),
    proxyTlsDir: join(dir, 'tls'),
    image: 'nginx',
  });
  for (const domain of ['../../etc', 'a/b.test', 'A.test', 'x.test;']) {
    try {
      await controller.apply([], new Map([[domain, cert('x')]]));
      t.fail(`accepted ${domain}`);
    } catch (error) {
      t.ok(isMinicloudError(error) && error.code === 'MC_PROXY_INVALID', `refused ${domain}`);
    }
  }
  t.same(await readdir(dir), ['proxy'], 'no TLS dir was created');
  t.same(await readdir(join(dir, 'proxy', 'conf.d')), ['admin.conf']);
});

t.test('conf.d must be inside the mounted config dir', async (t) => {
  t.throws(
    () =>
      new NginxProxyController({
        docker: {} as Docker,
        proxyDir: '/x/proxy',
        proxyConfD: '/x/other',
        proxyTlsDir: '/x/tls',
      }),
    { code: 'MC_PROXY' },
  );
});
