import { MinicloudError } from '../errors.js';
import type { Apps, Progress, UpdateAppInput } from '../apps/types.js';
import type { ApplyEntry, ApplyPlan, CurrentApp, DesiredApp } from './types.js';

export interface CarryOutInput {
  plan: ApplyPlan;
  desired: readonly DesiredApp[];
  current: readonly CurrentApp[];
  /** Every desired app's env values (resolveEnv). */
  env: Record<string, Record<string, string>>;
}

/**
 * Carries out a plan through the app lifecycle, as the commands would: add (which provisions
 * the app's needs), update, the domain and need operations, remove. An unchanged app is not
 * touched; a skipped removal is not made. Stops at the first failure, naming the app.
 */
export async function carryOutPlan(apps: Apps, input: CarryOutInput, progress: Progress): Promise<void> {
  for (const entry of input.plan.apps) {
    const desired = input.desired.find((d) => d.name === entry.app);
    const current = input.current.find((c) => c.name === entry.app);
    const say: Progress = (step) => progress(`${entry.app}: ${step}`);
    try {
      if (entry.action === 'create' && desired) await create(apps, desired, input.env[entry.app] ?? {}, say);
      else if (entry.action === 'update' && desired && current)
        await update(apps, entry, desired, current, input.env[entry.app] ?? {}, input.plan.prune, say);
      else if (entry.action === 'remove') {
        say('removing (its data stays)');
        await apps.remove(entry.app, {}, say);
      }
    } catch (error) {
      if (error instanceof MinicloudError) {
        throw new MinicloudError(error.code, `apply stopped at ${entry.app}: ${error.message}`, error.details, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

async function create(apps: Apps, app: DesiredApp, env: Record<string, string>, say: Progress): Promise<void> {
  say('adding');
  const added = await apps.add(
    { image: app.image, name: app.name, domains: app.domains, env, replicas: app.replicas },
    say,
  );
  // What add does not take: settings of `app scale --runner`, `app update --follow`, extra needs.
  if (app.runnerReplicas || app.followTag) {
    await apps.update(
      app.name,
      {
        ...(app.runnerReplicas ? { runnerReplicas: app.runnerReplicas } : {}),
        ...(app.followTag ? { followTag: true } : {}),
      },
      say,
    );
  }
  for (const need of app.needs.filter((n) => !added.needs.includes(n))) await apps.attachNeed(app.name, need, say);
}

async function update(
  apps: Apps,
  entry: ApplyEntry,
  app: DesiredApp,
  current: CurrentApp,
  env: Record<string, string>,
  prune: boolean,
  say: Progress,
): Promise<void> {
  const changed = new Set(entry.changes.map((c) => c.field));
  const input: UpdateAppInput = {};
  if (changed.has('image')) input.image = app.image;
  if (changed.has('replicas')) input.replicas = app.replicas;
  if (changed.has('runnerReplicas')) input.runnerReplicas = app.runnerReplicas ?? {};
  if (changed.has('followTag')) input.followTag = app.followTag ?? false;
  if (entry.changes.some((c) => c.field.startsWith('env.'))) {
    input.env = { ...env };
    for (const key of Object.keys(current.env)) if (!(key in env)) input.env[key] = null;
  }
  if (Object.keys(input).length > 0) {
    say('updating');
    const result = await apps.update(app.name, input, say);
    if (result.rolledBack)
      throw new MinicloudError('MC_DEPLOY_FAILED', `the new version was rolled back: ${result.reason ?? 'unhealthy'}`);
  }
  for (const domain of app.domains.filter((d) => !current.domains.includes(d))) await apps.addDomain(app.name, domain);
  for (const domain of current.domains.filter((d) => !app.domains.includes(d)))
    await apps.removeDomain(app.name, domain);
  for (const need of app.needs.filter((n) => !current.needs.includes(n))) await apps.attachNeed(app.name, need, say);
  if (prune) {
    for (const need of current.needs.filter((n) => !app.needs.includes(n)))
      await apps.detachNeed(app.name, need, {}, say);
  }
}
