import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

// CSRF protection of the admin pages' forms. Apps live on sibling host names of the admin
// (shop.example.com next to admin.example.com: the same site), so SameSite cookies do not stop
// an app's page from posting a form to the admin, and an app can set cookies for the parent
// domain. A token in a cookie of its own (the double-submit pattern of the old
// @fastify/csrf-protection setup) was therefore forgeable: a pair from an anonymous visit,
// planted as a parent-domain cookie, passed with the admin's session. Now:
// - a form's token is an HMAC, under a key only this process knows, of the server-side session
//   it was rendered for (or, on the log-in page, of the visit's host-only `__Host-` cookie), so a
//   token is good for that session only and nothing in a cookie an app can set makes one;
// - and a browser's own word on where the form comes from (Sec-Fetch-Site, Origin) must be this
//   host, which stops a planted log-in pair too (a browser never lets a sibling set a `__Host-`
//   cookie, but the server cannot tell that from the cookie itself).
// The key is new on every start, as the sessions are (they live in memory): a restart asks
// everyone to log in again, and a form left open across it is refused as expired.

export type CsrfPurpose = 'session' | 'login';

export class CsrfTokens {
  readonly #key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.#key = key;
  }

  /** The token of the forms rendered for one session, or for one visit of the log-in page. */
  token(purpose: CsrfPurpose, id: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\0${id}`).digest('base64url');
  }

  check(purpose: CsrfPurpose, id: string | undefined, given: string): boolean {
    if (!id || !given) return false;
    const want = Buffer.from(this.token(purpose, id));
    const got = Buffer.from(given);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/**
 * Whether the browser says the form was posted from this host: Sec-Fetch-Site (sent by every
 * current browser) must be same-origin (or none: typed or bookmarked), and an Origin header,
 * if any, must name this host. A client that sends neither (not a browser) is left to the token.
 */
export function postedFromHere(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).hostname.toLowerCase() === request.hostname.toLowerCase();
  } catch {
    return false; // `Origin: null` (a sandboxed frame, a redirect from elsewhere) is not here
  }
}
