import { hash, timingSafeEqual } from 'node:crypto';

// Every place that checks a presented token against the one secret it knows (the admin token,
// the registry's notify token, the log-in form) does it here, the same way.

function digest(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/**
 * A check of given values against `secret` in constant time: both sides are hashed first, so
 * neither the length nor the content of the secret leaks through timing. Empty never matches.
 */
export function secretMatcher(secret: string): (given: string) => boolean {
  const expected = digest(secret);
  return (given) => given !== '' && timingSafeEqual(digest(given), expected);
}

/** The token of an `Authorization: Bearer ...` header; '' when there is none. */
export function bearerToken(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
}
