import { randomBytes } from 'node:crypto';

// Cookie sessions of the admin pages, in memory: a session is 32 random bytes in a host-only
// `__Host-` cookie (./cookies.ts), made when the admin token is typed in. A restart logs everyone
// out, which is fine for one admin app; nothing in it has to survive.

export interface Flash {
  kind: 'ok' | 'error';
  message: string;
  fields?: { field: string; message: string }[];
  /** A secret to show once (a new deploy token, a webhook URL, the join command). */
  secret?: { label: string; value: string };
}

interface Session {
  createdAt: number;
  seenAt: number;
  flash?: Flash;
}

export class Sessions {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly idleMs = 2 * 60 * 60 * 1000,
    private readonly maxAgeMs = 12 * 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  create(): string {
    this.#prune();
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    this.#sessions.set(id, { createdAt: t, seenAt: t });
    return id;
  }

  /** Whether the id names a live session (and marks it seen). */
  touch(id: string | undefined): boolean {
    if (!id) return false;
    const s = this.#sessions.get(id);
    if (!s) return false;
    const t = this.now();
    if (t - s.seenAt > this.idleMs || t - s.createdAt > this.maxAgeMs) {
      this.#sessions.delete(id);
      return false;
    }
    s.seenAt = t;
    return true;
  }

  destroy(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  setFlash(id: string | undefined, flash: Flash): void {
    const s = id ? this.#sessions.get(id) : undefined;
    if (s) s.flash = flash;
  }

  /** The flash message, once: reading it clears it. */
  takeFlash(id: string | undefined): Flash | undefined {
    const s = id ? this.#sessions.get(id) : undefined;
    const flash = s?.flash;
    if (s) delete s.flash;
    return flash;
  }

  #prune(): void {
    const t = this.now();
    for (const [id, s] of this.#sessions)
      if (t - s.seenAt > this.idleMs || t - s.createdAt > this.maxAgeMs) this.#sessions.delete(id);
  }
}
