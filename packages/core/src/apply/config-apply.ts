import type Docker from 'dockerode';
import { dirname } from 'node:path';
import type { AppStore } from '../apps/store.js';
import type { Apps, Progress } from '../apps/types.js';
import { carryOutPlan } from './carry-out.js';
import { desiredOfRecord } from './desired-app.js';
import type { Drift } from './diff.js';
import { appDrift } from './drift.js';
import { planApply } from './plan.js';
import { readDesiredApps, readGivenSecrets } from './read-dir.js';
import { resolveEnv } from './secrets.js';
import type { ApplyRequest, ApplyResult, CurrentApp } from './types.js';

/** What the API's apply and diff routes call (a fake stands in for route tests). */
export interface ConfigApplyPort {
  apply(request: ApplyRequest, progress?: Progress): Promise<ApplyResult>;
  diff(): Promise<Drift[]>;
}

const quiet: Progress = () => undefined;

/**
 * The platform reconciled to a configuration directory: its own (the store's, by default) or
 * the apps a client read from another. Reads the platform's apps and their env values, plans
 * (pure), and unless it is a dry run carries the plan out through the app lifecycle.
 */
export class ConfigApply implements ConfigApplyPort {
  constructor(
    private readonly apps: Apps,
    private readonly store: AppStore,
    private readonly docker: Docker,
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The configuration directory the store's apps dir is in. */
  get configDir(): string {
    return dirname(this.store.appsDir);
  }

  async apply(request: ApplyRequest, progress: Progress = quiet): Promise<ApplyResult> {
    const prune = request.prune ?? false;
    const desired = request.apps ?? (await readDesiredApps(this.configDir));
    const given = request.secrets ?? (await readGivenSecrets(this.configDir, desired, this.environment));
    const current = await this.current();
    const plan = planApply(desired, current, given, { prune });
    if (request.dryRun) return { plan, applied: false };
    await carryOutPlan(this.apps, { plan, desired, current, env: resolveEnv(desired, current, given) }, progress);
    return { plan, applied: true };
  }

  async diff(): Promise<Drift[]> {
    const records = (await this.store.list()).filter((r) => r.state !== 'removing');
    const drift = await Promise.all(records.map((r) => appDrift(this.docker, this.store.appsDir, r.name)));
    return drift.flat();
  }

  /** The platform's apps (not those being removed) with their env values. */
  private async current(): Promise<CurrentApp[]> {
    const names = await this.store.names();
    const out: CurrentApp[] = [];
    for (const name of names) {
      const stored = await this.store.readStored(name).catch(() => undefined);
      if (!stored || stored.record.state === 'removing') continue;
      const secrets = await this.store.readSecrets(name);
      const env =
        stored.legacyEnv ?? Object.fromEntries(Object.entries(secrets.env ?? {}).map(([k, v]) => [k, v.reveal()]));
      out.push({ ...desiredOfRecord(stored.record), env });
    }
    return out;
  }
}
