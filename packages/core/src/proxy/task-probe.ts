import { request } from 'node:http';
import { connect } from 'node:net';
import pLimit from 'p-limit';

// The platform's own look at a task the engine is starting, the way kamal-proxy does it: from
// the API's container on the proxy network, a few times a second, ask the task what the proxy
// would; the first answer makes it ready for traffic. The engine's healthcheck keeps its role:
// restarts, the "running" state and rollbacks follow it alone.

export interface ProbeTarget {
  task: string;
  /** The service it is a task of. */
  service: string;
  /** The task's address on the proxy network. */
  address: string;
  port: number;
  /** The manifest's http healthcheck path: GET, 2xx or 3xx is ready. Absent: a TCP connect. */
  path?: string;
}

/** One attempt: resolves whether the task answered, never rejects. */
export type ProbeOnce = (target: ProbeTarget, timeoutMs: number) => Promise<boolean>;

export const probeOnce: ProbeOnce = (target, timeoutMs) =>
  new Promise((resolve) => {
    if (target.path === undefined) {
      const socket = connect({ host: target.address, port: target.port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      return;
    }
    const req = request(
      {
        host: target.address,
        port: target.port,
        path: target.path,
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        // The Host the engine's own check (curl on loopback) sends, which the app accepts.
        headers: { host: target.port === 80 ? '127.0.0.1' : `127.0.0.1:${target.port}`, 'user-agent': 'minicloud' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
        req.destroy();
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.on('close', () => resolve(false));
    req.end();
  });

export interface TaskProberOptions {
  probe?: ProbeOnce;
  /** From the start of one attempt to the next; default 250 ms. */
  everyMs?: number;
  /** How long one attempt may take; default 1 s. */
  attemptTimeoutMs?: number;
  /** After this long unanswered, the task is left to the engine's healthcheck; default 3 min. */
  giveUpMs?: number;
  /** A task answered: its address is due in the upstream block. */
  onReady?: (task: string) => void;
  /**
   * Attempts in flight at once over every task; default 16. A hundred apps rolling at once (or
   * crash-looping) must not open hundreds of sockets from the API's small container.
   */
  maxConcurrent?: number;
}

interface Watch {
  target: ProbeTarget;
  since: number;
  passed: boolean;
  /** No further attempt: it passed, gave up, or is no longer watched. */
  done: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Probes the tasks it is told to watch until each answers once, is no longer watched (the
 * engine's state for it is final: running, failed or shutting down) or the give-up time
 * passes. Attempts of one task never overlap; a passed task stays ready while watched.
 */
export class TaskProber {
  readonly #watches = new Map<string, Watch>();
  readonly #probe: ProbeOnce;
  readonly #everyMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #giveUpMs: number;
  readonly #onReady: ((task: string) => void) | undefined;
  readonly #limit: ReturnType<typeof pLimit>;

  constructor(options: TaskProberOptions = {}) {
    this.#limit = pLimit(options.maxConcurrent ?? 16);
    this.#probe = options.probe ?? probeOnce;
    this.#everyMs = options.everyMs ?? 250;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 1000;
    this.#giveUpMs = options.giveUpMs ?? 180_000;
    this.#onReady = options.onReady;
  }

  /**
   * The starting tasks of `services` now: new ones are probed; watched tasks of those services
   * not named any more (the engine moved them on) stop and are forgotten. A look at other
   * services tells nothing of theirs, which are forgotten only once past the give-up time.
   */
  watch(targets: readonly ProbeTarget[], services: readonly string[]): void {
    const named = new Set(targets.map((t) => t.task));
    const looked = new Set(services);
    for (const [id, w] of this.#watches) {
      if (named.has(id)) continue;
      if (!looked.has(w.target.service) && Date.now() - w.since < this.#giveUpMs) continue;
      this.#end(w);
      this.#watches.delete(id);
    }
    for (const target of targets) {
      if (this.#watches.has(target.task)) continue;
      const w: Watch = { target, since: Date.now(), passed: false, done: false };
      this.#watches.set(target.task, w);
      this.#attempt(w);
    }
  }

  /** IDs of the watched tasks that have answered. */
  ready(): Set<string> {
    return new Set([...this.#watches.values()].filter((w) => w.passed).map((w) => w.target.task));
  }

  /** IDs of the watched tasks still being probed. */
  probing(): string[] {
    return [...this.#watches.values()].filter((w) => !w.done).map((w) => w.target.task);
  }

  stop(): void {
    for (const w of this.#watches.values()) this.#end(w);
    this.#watches.clear();
  }

  #end(w: Watch): void {
    w.done = true;
    clearTimeout(w.timer);
  }

  #attempt(w: Watch): void {
    if (w.done) return;
    if (Date.now() - w.since >= this.#giveUpMs) return this.#end(w);
    // The pause between attempts counts from when this one got its slot, not from the queue.
    let started = Date.now();
    void this.#limit(() => {
      started = Date.now();
      return w.done ? Promise.resolve(false) : this.#probe(w.target, this.#attemptTimeoutMs);
    })
      .catch(() => false)
      .then((ok) => {
        if (w.done) return;
        if (ok) {
          w.passed = true;
          this.#end(w);
          this.#onReady?.(w.target.task);
          return;
        }
        const wait = Math.max(0, this.#everyMs - (Date.now() - started));
        w.timer = setTimeout(() => this.#attempt(w), wait).unref();
      });
  }
}
