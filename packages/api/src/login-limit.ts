// A limit on failed log-ins per client address: the admin pages' log-in form and wrong bearer
// tokens on the API share it. After 10 failures within a minute, every attempt from that
// address (right or wrong) is answered 429 with Retry-After until the oldest of them is a
// minute old, so guessing goes no faster than 10 a minute. In memory: a restart forgets it.
//
// Not @fastify/rate-limit: it counts every request to a route, and the API's routes must stay
// free for a client with a right token; what is limited here is failures only.
//
// The address is Fastify's request.ip, which follows X-Forwarded-For only from the platform's
// proxy (TrustedProxy), so an app can neither pass for another client nor lock the admin out.
// IPv6 clients count per /64, the block one host usually gets, so they cannot rotate addresses
// within it. Loopback (the API's own container: its healthcheck, the admin pages' in-process
// calls) is not limited: whoever runs there can read the admin token's file anyway.

export interface LoginLimitOptions {
  /** Failures allowed within the window; default 10. */
  maxFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Addresses remembered at most (the oldest are forgotten first); default 10000. */
  maxClients?: number;
  now?: () => number;
}

/** What a client key is made of: the IPv4 address, or an IPv6 address's first 64 bits. */
export function clientKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export class LoginLimit {
  /** key -> times of its failures within the window, oldest first. */
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;

  constructor(options: LoginLimitOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds the client must wait before trying again, or 0 if it may try now. */
  retryAfter(ip: string): number {
    if (LOOPBACK.test(ip)) return 0;
    const recent = this.#recent(clientKey(ip));
    if (recent.length < this.#max) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.#windowMs - this.#now()) / 1000));
  }

  /** Counts one failed log-in. */
  fail(ip: string): void {
    if (LOOPBACK.test(ip)) return;
    const key = clientKey(ip);
    const recent = [...this.#recent(key), this.#now()].slice(-this.#max);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    if (this.#failures.size > this.#maxClients) this.#forget();
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }

  /** Drops clients with no recent failure, then the least recently failing ones. */
  #forget(): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key);
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.#maxClients) break;
      this.#failures.delete(key);
    }
  }
}
