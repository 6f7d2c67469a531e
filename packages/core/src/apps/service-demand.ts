import { NEED_KINDS, needKind, needsInService, type NeedName } from '../needs/registry.js';
import type { NeedKind } from '../needs/types.js';
import type { AppContext } from './context.js';
import type { Progress, SharedServiceStatus } from './types.js';

// Which shared services the app lifecycle needs up, and stopping the ones nobody needs: a
// shared service runs only while some app needs it or it holds some app's data (kept by a
// remove without purge). Every start and every stop goes through one queue, and a service an
// operation in flight uses (claimed before it is started) is never stopped under it.

const quiet: Progress = () => undefined;

/** The services the kinds of these needs run in (mariadb for database, ...), each once. */
export function servicesOf(needs: readonly NeedName[]): string[] {
  return [...new Set(needs.flatMap((need) => needKind(need).service?.name ?? []))];
}

export class ServiceDemand {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #claims = new Map<string, number>();
  #lingering: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: AppContext) {}

  /** Whether the kind's service is idle: it holds no app's data, so there is nothing in it to find or drop. */
  async idle(kind: NeedKind): Promise<boolean> {
    const { services } = this.ctx;
    return Boolean(kind.service && services && (await services.isIdle(kind.service.name)));
  }

  /** Runs `work` with the services of these needs up (started if idle), and none of them stopped meanwhile. */
  async using<T>(needs: readonly NeedName[], progress: Progress, work: () => Promise<T>): Promise<T> {
    const { services } = this.ctx;
    const names = services ? servicesOf(needs) : [];
    for (const name of names) this.#claims.set(name, (this.#claims.get(name) ?? 0) + 1);
    try {
      for (const name of names) await this.#serial(() => services!.start(name, progress));
      return await work();
    } finally {
      for (const name of names) this.#claims.set(name, this.#claims.get(name)! - 1);
    }
  }

  /**
   * Stops each service that no app (in any state) needs, no operation in flight uses, and
   * that holds no app's data; resolves the services stopped.
   */
  settle(progress: Progress = quiet): Promise<string[]> {
    const { services, store } = this.ctx;
    if (!services) return Promise.resolve([]);
    return this.#serial(async () => {
      const records = await store.list();
      const stopped: string[] = [];
      for (const kind of NEED_KINDS) {
        const service = kind.service;
        if (!service || (this.#claims.get(service.name) ?? 0) > 0) continue;
        if (await services.isIdle(service.name)) continue;
        // Another kind in the same service (none today) keeps it too.
        const inService = needsInService(service.name);
        if (records.some((r) => r.needs.some((n) => inService.includes(n)))) continue;
        if (await service.holdsShares(this.ctx)) continue;
        progress(`stopping ${service.name}: no app needs it (its data dir stays)`);
        await services.stop(service.name);
        stopped.push(service.name);
      }
      return stopped;
    });
  }

  /**
   * settle() after a change that may leave a service unneeded (a removal, a detach, a failed
   * add): at once, or, with a linger (AppContext.servicesLingerMs), once that long has passed
   * since the last such change. settle() looks again then, so a service an app came to need
   * meanwhile keeps running. The timer does not hold the process open; a restart forgets it
   * (the service then stops at the next removal). Failures are said, never thrown: the
   * change that asked is done either way, and the service just keeps running.
   */
  async settleSoon(progress: Progress = quiet): Promise<void> {
    const linger = this.ctx.servicesLingerMs ?? 0;
    const said = (error: Error) => progress(`shared services not checked: ${error.message}`);
    if (linger <= 0) {
      await this.settle(progress).catch(said);
      return;
    }
    clearTimeout(this.#lingering);
    this.#lingering = setTimeout(() => void this.settle().catch(() => undefined), linger);
    this.#lingering.unref();
    progress(
      `shared services no app needs any more stop in ${Math.round(linger / 60_000)} min (unless an app needs them again)`,
    );
  }

  /** Each shared service's state and the apps that need it. */
  async status(): Promise<SharedServiceStatus[]> {
    const { services, store } = this.ctx;
    const records = await store.list();
    const out: SharedServiceStatus[] = [];
    for (const service of new Set(NEED_KINDS.flatMap((k) => k.service?.name ?? []))) {
      const needs = needsInService(service);
      const apps = records.filter((r) => r.needs.some((n) => needs.includes(n))).map((r) => r.name);
      let state: SharedServiceStatus['state'] = 'running';
      if (services && (await services.isIdle(service))) state = 'idle';
      else if (services && (await services.replicas(service)) < 1) state = 'stopped';
      out.push({ service, needs, state, apps });
    }
    return out;
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
