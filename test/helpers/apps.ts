import { existsSync, readFileSync } from 'node:fs';
import { managerDocker, waitFor } from './engine.js';
import { DATA, httpsTo, REPO, sh } from './platform.js';

// What the end-to-end tests do with apps on the installed test platform (images for them:
// platform.ts's buildAndPush): scripts run on the services network
// with an app's credentials, and every place an app can leave a trace.

const docker = managerDocker();

/** Runs a node script with mysql2 and amqplib in a container on a platform network. */
export async function probe(
  script: string,
  vars: Record<string, string>,
  network = 'minicloud-services',
): Promise<Record<string, unknown>> {
  const args = ['run', '--rm', '--network', network, '-v', `${REPO}/node_modules:/nm:ro`, '-e', 'NODE_PATH=/nm'];
  for (const [k, v] of Object.entries(vars)) args.push('-e', `${k}=${v}`);
  const res = await sh('/usr/bin/docker', [...args, 'minicloud/node:20', 'node', '-e', script], { timeout: 120_000 });
  if (res.code !== 0) throw new Error(`probe failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** With A's DATABASE_URL: create a table in A's database, then reach B's database. */
export const DB_PROBE = `
const mysql = require('mysql2/promise');
const attempt = async (url, sql) => { try { const c = await mysql.createConnection(url); try { const [rows] = await c.query(sql); return { ok: true, rows } } finally { await c.end() } } catch (e) { return { ok: false, error: e.code || e.message } } };
(async () => {
  const own = await attempt(process.env.A_URL, 'CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY AUTO_INCREMENT, body TEXT)');
  const other = new URL(process.env.B_URL); const cross = new URL(process.env.A_URL); cross.pathname = other.pathname;
  const foreign = await attempt(cross.toString(), 'SELECT 1');
  console.log(JSON.stringify({ own: own.ok, ownError: own.error, foreign: foreign.ok, foreignError: foreign.error }));
})();`;

/** With A's AMQP_URL: publish in A's vhost, then in B's. */
export const MQ_PROBE = `
const amqp = require('amqplib');
const attempt = async (url) => { try { const c = await amqp.connect(url); const ch = await c.createChannel(); await ch.assertQueue('q'); ch.sendToQueue('q', Buffer.from('x')); await ch.close(); await c.close(); return { ok: true } } catch (e) { return { ok: false, error: String(e.message).slice(0, 200) } } };
(async () => {
  const own = await attempt(process.env.A_URL);
  const other = new URL(process.env.B_URL); const cross = new URL(process.env.A_URL); cross.pathname = other.pathname;
  const foreign = await attempt(cross.toString());
  console.log(JSON.stringify({ own: own.ok, ownError: own.error, foreign: foreign.ok, foreignError: foreign.error }));
})();`;

/** An app's credentials env file, as the platform wrote it. */
export function credentials(app: string): Record<string, string> {
  const text = readFileSync(`${DATA}/secrets/apps/${app}.env`, 'utf8');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** GET / of an app by its host name, once it answers 200. */
export async function served(host: string): Promise<Record<string, unknown>> {
  return waitFor(
    `${host} to be served`,
    async () => {
      const res = await httpsTo(host, '/');
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      return JSON.parse(res.body) as Record<string, unknown>;
    },
    90_000,
  );
}

/** The shared services the test platform stopped as idle (state/services.json). */
export function idleServices(): Set<string> {
  const file = `${DATA}/state/services.json`;
  if (!existsSync(file)) return new Set();
  return new Set((JSON.parse(readFileSync(file, 'utf8')) as { idle?: string[] }).idle ?? []);
}

/** What the platform holds for an app name, everywhere it could leave a trace. */
export async function traces(app: string): Promise<string[]> {
  const found: string[] = [];
  if (existsSync(`${DATA}/config/apps/${app}`)) found.push('config record');
  if (existsSync(`${DATA}/secrets/apps/${app}.env`)) found.push('credentials file');
  if (existsSync(`${DATA}/storage/${app}`)) found.push('storage dir');
  if (existsSync(`${DATA}/config/management/proxy/conf.d/app-${app}.conf`)) found.push('proxy vhost');
  if (existsSync(`${DATA}/config/management/proxy/conf.d/app-${app}.upstream.conf`)) found.push('proxy upstream');
  const services = await docker.listServices({ filters: { label: [`com.docker.stack.namespace=${app}`] } });
  if (services.length > 0) found.push('stack services');
  const id = app.replace(/-/g, '_');
  // A shared service stopped as idle holds no app's data (it is stopped only once it holds
  // none): nothing to look for there, and asking would wait for a server that is not running.
  const idle = idleServices();
  // Exact names: in LIKE, `_` is a wildcard, and my_shop would find myxshop's database too.
  // MariaDB may still be starting (after the engine restart): the probe waits for it.
  if (!idle.has('mariadb')) {
    const db = await waitFor(
      'mariadb to answer',
      () =>
        probe(
          `const m = require('mysql2/promise'); (async () => { const c = await m.createConnection({ host: 'mariadb', user: 'root', password: process.env.PW }); const [d] = await c.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [process.env.ID]); const [u] = await c.query('SELECT User FROM mysql.user WHERE User = ?', [process.env.ID]); await c.end(); console.log(JSON.stringify({ db: d.length, user: u.length })) })()`,
          { PW: readFileSync(`${DATA}/secrets/mariadb-root-password`, 'utf8').trim(), ID: id },
        ),
      120_000,
    );
    if (db['db']) found.push('database');
    if (db['user']) found.push('database user');
  }
  if (!idle.has('rabbitmq')) {
    const mq = await waitFor(
      'rabbitmq to answer',
      () =>
        probe(
          `(async () => { const mq = await fetch('http://rabbitmq:15672/api/vhosts/' + encodeURIComponent(process.env.ID), { headers: { authorization: 'Basic ' + Buffer.from(process.env.MQU + ':' + process.env.MQP).toString('base64') } }); console.log(JSON.stringify({ vhost: mq.status })) })()`,
          {
            ID: id,
            MQU: JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')).settings.rabbitmqUser as string,
            MQP: readFileSync(`${DATA}/secrets/rabbitmq-password`, 'utf8').trim(),
          },
        ),
      120_000,
    );
    if (mq['vhost'] === 200) found.push('vhost');
  }
  return found;
}
