// Which peer may speak for the client (X-Forwarded-For/Proto/Host): the platform's proxy and
// nothing else. `trustProxy: true` trusted anyone, and apps' web services share the proxy
// network with the API, so an app could call the API directly and pass for any client address
// (dodging or causing the log-in rate limit) or for HTTPS. Fastify asks `trust(address, hop)`
// for the socket's peer (hop 0) and then for each forwarded address, right to left; only hop 0
// can be the proxy, which appends the real client as the rightmost X-Forwarded-For entry.

export interface TrustedProxyOptions {
  /** The proxy's current addresses (its running tasks', from the Engine). */
  read: () => Promise<readonly string[]>;
  /** How often to read them again; default 10 s. */
  intervalMs?: number;
  /** An unknown peer asks for an early read (the proxy was replaced), at most this often; default 2 s. */
  minGapMs?: number;
  now?: () => number;
  onChange?: (addresses: readonly string[]) => void;
  onError?: (error: Error) => void;
}

/** `::ffff:10.0.1.5` (an IPv4 peer on a dual-stack socket) is 10.0.1.5. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

const LOOPBACK = /^(127\.|::1$)/;

export class TrustedProxy {
  #addresses: ReadonlySet<string> = new Set();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #lastRead = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;

  constructor(private readonly options: TrustedProxyOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Fastify's `trustProxy` function. */
  readonly trust = (address: string, hop: number): boolean => {
    if (hop !== 0) return false;
    const peer = plainAddress(address);
    if (this.#addresses.has(peer)) return true;
    // The API's own loopback (its healthcheck, the admin pages' in-process calls) is never the proxy.
    if (!LOOPBACK.test(peer) && this.#now() - this.#lastRead >= (this.options.minGapMs ?? 2000)) void this.refresh();
    return false;
  };

  get addresses(): readonly string[] {
    return [...this.#addresses];
  }

  /** Reads the addresses now (one read at a time); on failure the last known ones stay. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<void> {
    this.#lastRead = this.#now();
    try {
      const next = new Set((await this.options.read()).map(plainAddress));
      const changed = next.size !== this.#addresses.size || [...next].some((a) => !this.#addresses.has(a));
      this.#addresses = next;
      if (changed) this.options.onChange?.([...next]);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  /** The first read (awaited: nothing is trusted before it), then one every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
