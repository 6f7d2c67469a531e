import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { dockerClient } from '../engine/client.js';
import type { RegistryAuth } from '../engine/registry-auth.js';
import type { ComposeFile } from '../compose/types.js';
import { composeFromText, validateCompose } from '../compose/load.js';
import type { CompiledStack } from '../compiler/compile.js';
import { toDesiredStack } from './convert.js';
import type { ConvertOptions } from './convert-context.js';
import { readStackInputs } from './inputs.js';
import { readActual } from './read-actual.js';
import { planStack, type StackPlan } from './plan.js';
import { applyPlan } from './apply.js';
import { waitForServices, type ServiceReport } from './converge.js';
import type { StackInputs } from './types.js';

export interface DeployOptions extends ConvertOptions {
  docker?: Docker;
  /** Directory env_file and secret/config file paths are relative to (the compose file's). */
  baseDir?: string;
  /** Pre-read inputs instead of reading files from baseDir (tests, the API). */
  inputs?: StackInputs;
  /** Remove services of the stack that the file no longer has. */
  prune?: boolean;
  /** Take over objects `docker stack deploy` made for this stack (see PlanOptions.adoptStack). */
  adoptStack?: boolean;
  /** Registry credentials passed to the swarm so every node can pull private images. */
  registryAuth?: RegistryAuth[];
  /** Compute and return the plan, change nothing. */
  dryRun?: boolean;
  /** Wait for convergence (default true); the timeout for it. */
  wait?: boolean;
  timeoutMs?: number;
  /** Throw MC_DEPLOY_FAILED when a service does not converge (default true). */
  throwOnFailure?: boolean;
  /**
   * Runs once the engine has the new and changed services, before the wait for them: an app's
   * add routes its domains here, so its tasks take traffic as soon as they answer.
   */
  onApplied?: () => Promise<void>;
}

export interface DeployResult {
  plan: StackPlan;
  /** Per service: desired/running replicas and, when it did not converge, the engine's reason. */
  services: ServiceReport[];
}

/**
 * A compiled stack as `deployStack` takes it: its YAML read back like a compose file, which
 * turns the compiler's `$$` escapes back into literal dollars (no variables are substituted).
 */
export function composeOfCompiled(stack: Pick<CompiledStack, 'name' | 'yaml'>): ComposeFile {
  return composeFromText(stack.yaml, `stack ${stack.name}`, {});
}

/**
 * `docker stack deploy` through the Engine API: compute the desired objects from the compose
 * file, diff them against the engine, apply the difference, wait for the services. A
 * re-deploy of an unchanged file makes no service update, so nothing restarts. `compose` is a
 * loaded file, its variables already substituted: from loadComposeFile, composeFromText or,
 * for a compiled app, composeOfCompiled.
 * Throws MC_DEPLOY_FAILED (with the per-service reports as details) when a service fails.
 */
export async function deployStack(
  name: string,
  composeInput: ComposeFile,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const docker = options.docker ?? dockerClient();
  // Validated here too, so a compose object built in code meets the same rules as a file.
  const compose = validateCompose(composeInput, `stack ${name}`);
  const inputs = options.inputs ?? (await readStackInputs(compose, options.baseDir ?? process.cwd()));
  const desired = toDesiredStack(name, compose, inputs, options);
  const actual = await readActual(docker, desired);
  const plan = planStack(desired, actual, { prune: options.prune ?? false, adoptStack: options.adoptStack ?? false });
  if (options.dryRun) return { plan, services: [] };

  const startedAt = new Date();
  await applyPlan(docker, desired, plan, actual, options.registryAuth ? { registryAuth: options.registryAuth } : {});
  await options.onApplied?.();
  // Only a change to the task template rolls tasks; a label-only update starts no rollout
  // that could be waited for.
  const rolls = (a: StackPlan['actions'][number]) =>
    a.op === 'update' && a.fields.some((f) => f.startsWith('TaskTemplate'));
  const targets = plan.actions
    .filter((a) => a.kind === 'service' && a.op !== 'remove')
    .map((a) => ({
      name: a.name,
      ...(rolls(a) ? { updatedAt: startedAt } : {}),
      unchanged: a.op === 'unchanged',
    }));
  if (options.wait === false) return { plan, services: [] };
  const services = await waitForServices(docker, targets, {
    since: startedAt,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const bad = services.filter((s) => s.state !== 'converged');
  if (bad.length > 0 && options.throwOnFailure !== false) {
    throw new MinicloudError(
      'MC_DEPLOY_FAILED',
      `stack ${name}: ${bad.map((s) => `${s.name} ${s.state}${s.reason ? `: ${s.reason}` : ''}`).join('; ')}`,
      services.map((s) => ({
        path: s.name,
        message: `${s.state} (${s.running}/${s.desired} running)${s.reason ? `: ${s.reason}` : ''}`,
      })),
    );
  }
  return { plan, services };
}
