import { randomBytes } from 'node:crypto';
import type { ExecSession } from '@minicloud/core';

// `app exec -it` takes two requests: one (authenticated, an `app` route) makes the exec and gets
// a session id; the next attaches a terminal to it through an HTTP upgrade, which Fastify's
// hooks never see. The id is the capability for that one attach: 256 random bits, good once,
// for ATTACH_WITHIN_MS, sent in a header (never in a path the proxy logs). After the attach, the
// session stays known by app and id for a while, for resizes and its exit code.

export const ATTACH_WITHIN_MS = 30_000;
const KEEP_AFTER_MS = 10 * 60_000;

interface Entry {
  app: string;
  session: ExecSession;
  attached: boolean;
  /** Until then it may be attached (before) or looked at (after the attach). */
  until: number;
}

export class ExecSessions {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  add(app: string, session: ExecSession): string {
    this.prune();
    const id = randomBytes(32).toString('base64url');
    this.entries.set(id, { app, session, attached: false, until: this.now() + ATTACH_WITHIN_MS });
    return id;
  }

  /** The session to attach to, once: undefined when unknown, expired or attached already. */
  take(id: string): ExecSession | undefined {
    this.prune();
    const entry = this.entries.get(id);
    if (!entry || entry.attached) return undefined;
    entry.attached = true;
    entry.until = this.now() + KEEP_AFTER_MS;
    return entry.session;
  }

  /** A session of this app (for a resize or its exit code); undefined for another app's. */
  get(app: string, id: string): ExecSession | undefined {
    this.prune();
    const entry = this.entries.get(id);
    return entry && entry.app === app ? entry.session : undefined;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) if (entry.until <= now) this.entries.delete(id);
  }
}
