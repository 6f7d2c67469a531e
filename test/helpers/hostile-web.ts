import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { ADDR, DATA, DOMAIN, sh } from './platform.js';

// What a hostile app does to the admin on the installed platform (issue 11, items 2 and 9):
// calls the API straight over the shared proxy network with forged X-Forwarded-* headers, and
// plants a CSRF pair from an anonymous visit next to the admin's session (cookie tossing).

export const ADMIN_HOST = `admin.${DOMAIN}`;

export interface Answer {
  status: number;
  retryAfter?: string;
}

/**
 * Requests from a container on the proxy network, where every app's web service is: straight to
 * the API's service (http://minicloud_api:8080), one after the other, with whatever headers the
 * app likes. Answers in order.
 */
export async function fromProxyNetwork(
  requests: { path: string; method?: string; headers?: Record<string, string>; body?: string }[],
): Promise<Answer[]> {
  const script = `(async () => {
    const out = [];
    for (const r of JSON.parse(process.env.REQUESTS)) {
      const res = await fetch('http://minicloud_api:8080' + r.path, { method: r.method || 'GET', headers: r.headers || {}, body: r.body });
      await res.arrayBuffer();
      out.push({ status: res.status, retryAfter: res.headers.get('retry-after') || undefined });
    }
    process.stdout.write(JSON.stringify(out));
  })().catch((e) => { console.error(String(e.cause ?? e)); process.exit(1); });`;
  const res = await sh(
    '/usr/bin/docker',
    [
      'run',
      '--rm',
      '--network',
      'minicloud-proxy',
      '-e',
      `REQUESTS=${JSON.stringify(requests)}`,
      'minicloud/node:20',
      'node',
      '-e',
      script,
    ],
    { timeout: 120_000 },
  );
  if (res.code !== 0) throw new Error(`request from the proxy network failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as Answer[];
}

export interface PageAnswer {
  status: number;
  location?: string;
  setCookie: string[];
  body: string;
}

/**
 * A browser on the admin pages over HTTPS through the proxy, minus the rendering: keeps its
 * cookies and the CSRF token of the last page. `cookies` may be planted with anything.
 */
export class AdminBrowser {
  readonly cookies = new Map<string, string>();
  lastCsrf = '';

  /** Headers every request carries (Origin, Sec-Fetch-Site of a forged form). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  get(path: string): Promise<PageAnswer> {
    return this.#send('GET', path);
  }

  /** Posts a form with the last page's token, or `csrf`. */
  post(path: string, form: Record<string, string>, csrf = this.lastCsrf): Promise<PageAnswer> {
    return this.#send('POST', path, new URLSearchParams({ _csrf: csrf, ...form }).toString());
  }

  async login(token: string): Promise<PageAnswer> {
    await this.get('/login');
    return this.post('/login', { token });
  }

  #send(method: string, path: string, body?: string): Promise<PageAnswer> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: ADDR,
          port: 443,
          servername: ADMIN_HOST,
          path,
          method,
          ca: readFileSync(`${DATA}/pki/ca.crt`),
          agent: false,
          timeout: 60_000,
          headers: {
            host: ADMIN_HOST,
            ...this.headers,
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const setCookie = res.headers['set-cookie'] ?? [];
            for (const c of setCookie) {
              const [pair = ''] = c.split(';');
              const eq = pair.indexOf('=');
              const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
              if (value === '' || /Max-Age=0/i.test(c)) this.cookies.delete(name);
              else this.cookies.set(name, value);
            }
            const m = /name="_csrf" value="([^"]+)"/.exec(text);
            if (m) this.lastCsrf = m[1]!;
            const location = res.headers.location;
            resolve({ status: res.statusCode ?? 0, ...(location ? { location } : {}), setCookie, body: text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}
