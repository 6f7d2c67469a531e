import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface WebClientOptions {
  /** The client's address as the API's socket sees it (inject's default is 127.0.0.1). */
  remoteAddress?: string;
  /** Headers sent with every request (Origin, Sec-Fetch-Site, X-Forwarded-For...). */
  headers?: Record<string, string>;
}

/** A cookie-keeping client of the admin pages over app.inject (what a browser does, minus rendering). */
export class WebClient {
  readonly cookies = new Map<string, string>();
  lastCsrf = '';
  /** The raw Set-Cookie headers of the last answer. */
  lastSetCookie: string[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly options: WebClientOptions = {},
  ) {}

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    const raw = res.headers['set-cookie'];
    this.lastSetCookie = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.lastCsrf = m[1]!;
    return res;
  }

  private get cookieHeader(): Record<string, string> {
    return {
      ...this.options.headers,
      ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
    };
  }

  private get from() {
    return this.options.remoteAddress ? { remoteAddress: this.options.remoteAddress } : {};
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: this.cookieHeader, ...this.from }));
  }

  /** Posts a form with the CSRF token of the last page seen (or `csrf` if given). */
  async post(
    url: string,
    form: Record<string, string> = {},
    csrf: string | null = this.lastCsrf,
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams({ ...(csrf !== null ? { _csrf: csrf } : {}), ...form }).toString();
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
        ...this.from,
      }),
    );
  }

  /** Follows a 303 to its page. */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    if (res.statusCode !== 303 && res.statusCode !== 302)
      throw new Error(`expected a redirect, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
    return this.get(String(res.headers.location));
  }

  async login(token: string): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', { token });
  }
}

/** The text of a page without tags, whitespace squeezed: what a person reads. */
export function text(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&(quot|#x27|#x3D|#x60|lt|gt|amp);/g, (_, e: string) => ENTITIES[e] ?? '')
    .trim();
}

const ENTITIES: Record<string, string> = {
  quot: '"',
  '#x27': "'",
  '#x3D': '=',
  '#x60': '`',
  lt: '<',
  gt: '>',
  amp: '&',
};
