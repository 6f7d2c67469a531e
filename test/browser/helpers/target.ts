import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@minicloud/api';
import { Sensitive } from '@minicloud/core';
import {
  FakeApps,
  fakeImages,
  fakeLogs,
  fakeNodes,
  fakeRegistry,
  fakeStacks,
  fakeStats,
  manifestFor,
} from '../../api/helpers/fakes.js';

// What the browser test drives. Two kinds, one flow:
// - `fake` (the default): the real API server and admin pages (buildApp, listening on
//   127.0.0.1) over a stand-in app lifecycle; "deploying" an app starts a small HTTP server
//   on 127.0.0.1 that is the app, so "see the app served" follows a real link to a real page.
// - `platform`: a running minicloud (the management stack and the app lifecycle), given by
//   MINICLOUD_ADMIN_URL, MINICLOUD_ADMIN_TOKEN and MINICLOUD_BROWSER_IMAGE (an image in its
//   registry whose manifest needs no database), with MINICLOUD_BASE_DOMAIN for the app's URL.
//   The browser maps *.<base domain> to MINICLOUD_PROXY_ADDR (the proxy; default 127.0.0.1) and
//   accepts the platform CA.

export interface Target {
  kind: 'fake' | 'platform';
  adminUrl: string;
  token: string;
  /** The image to add; its manifest needs no database (the test attaches one). */
  image: string;
  /** The name the app gets. */
  app: string;
  /** A domain to add, and how the app's page reads when served. */
  domain: string;
  served: RegExp;
  /** Extra Chromium flags (host mapping for the platform's domains). */
  chromiumArgs: string[];
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const kind = process.env['MINICLOUD_BROWSER_TARGET'] ?? 'fake';
  if (kind === 'platform') return platformTarget();
  if (kind !== 'fake') throw new Error(`MINICLOUD_BROWSER_TARGET must be fake or platform, not ${kind}`);
  return fakeTarget();
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required for MINICLOUD_BROWSER_TARGET=platform`);
  return value;
}

async function platformTarget(): Promise<Target> {
  const domain = need('MINICLOUD_BASE_DOMAIN');
  const image = need('MINICLOUD_BROWSER_IMAGE');
  // Where the platform's proxy listens: the test swarm's manager, never this host's own
  // ports (a platform installed here answers there).
  const proxyAddr = process.env['MINICLOUD_PROXY_ADDR'] ?? '127.0.0.1';
  return {
    kind: 'platform',
    adminUrl: need('MINICLOUD_ADMIN_URL'),
    token: need('MINICLOUD_ADMIN_TOKEN'),
    image,
    app: process.env['MINICLOUD_BROWSER_APP'] ?? 'hello',
    domain: `www-${Date.now().toString(36)}.${domain}`,
    served: new RegExp(process.env['MINICLOUD_BROWSER_SERVED'] ?? 'hello', 'i'),
    chromiumArgs: [`--host-resolver-rules=MAP *.${domain} ${proxyAddr}`, '--ignore-certificate-errors'],
    close: async () => undefined,
  };
}

async function fakeTarget(): Promise<Target> {
  const token = `browser-${Math.random().toString(36).slice(2)}-token`;
  const servers: Server[] = [];
  const apps = new FakeApps({
    images: { 'registry.example.com/team/hello': manifestFor('hello') },
    stepMs: 300,
    onAdd: async (record) => {
      const server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><title>${record.name}</title><h1>Hello from ${record.name}</h1><p>image ${record.image}</p>`,
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      return [`http://127.0.0.1:${(server.address() as AddressInfo).port}/`];
    },
  });
  const app: FastifyInstance = await buildApp({
    adminToken: new Sensitive(token),
    apps,
    nodes: fakeNodes(),
    stacks: fakeStacks(),
    registry: fakeRegistry(),
    images: fakeImages(apps),
    logs: fakeLogs(apps),
    stats: fakeStats(apps),
    logger: false,
  });
  const adminUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    kind: 'fake',
    adminUrl,
    token,
    image: 'registry.example.com/team/hello:1',
    app: 'hello',
    domain: 'hello.example.com',
    served: /Hello from hello/,
    chromiumArgs: [],
    close: async () => {
      await app.close();
      for (const s of servers) await new Promise((r) => s.close(r));
    },
  };
}
