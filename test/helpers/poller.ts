import { spawn } from 'node:child_process';
import { engineEnv } from './engine.js';

export interface PollResult {
  ok: number;
  failed: number;
  errors: string[];
  versions: Record<string, number>;
}

/**
 * Sends requests from a container on an overlay network, one new connection (and DNS lookup)
 * each, for the whole of a rolling update, and counts what failed. Bounded: it stops after
 * `maxSeconds`, or once `stopWhenVersion` has answered for 3 seconds in a row.
 */
export function pollDuring(
  network: string,
  url: string,
  options: { maxSeconds: number; stopWhenVersion?: string },
): Promise<PollResult> {
  const script = `
    const http = require('node:http');
    const r = { ok: 0, failed: 0, errors: [], versions: {} };
    const end = Date.now() + ${options.maxSeconds * 1000};
    let since = 0;
    const one = () => new Promise((done) => {
      const req = http.get(${JSON.stringify(url)}, { agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) { r.failed++; r.errors.push('status ' + res.statusCode); return done(); }
          r.ok++;
          const v = JSON.parse(body).version;
          r.versions[v] = (r.versions[v] || 0) + 1;
          if (v === ${JSON.stringify(options.stopWhenVersion ?? '')}) { if (!since) since = Date.now(); } else since = 0;
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => { r.failed++; if (r.errors.length < 20) r.errors.push(e.code || e.message); done(); });
    });
    (async () => {
      while (Date.now() < end && !(since && Date.now() - since > 3000)) { await one(); await new Promise((s) => setTimeout(s, 50)); }
      console.log(JSON.stringify(r));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/docker',
      ['run', '--rm', '--network', network, 'minicloud/node:20', 'node', '-e', script],
      {
        env: { ...process.env, DOCKER_HOST: engineEnv().dockerHost },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as PollResult);
      } catch {
        reject(new Error(`poller exited ${code}: ${err || out}`));
      }
    });
  });
}
