import type { ServiceInput } from './schema.js';
import type { ComposeDeploy } from './types.js';
import { at, scalarText, toLabels, type Findings } from './normalise-values.js';

// `deploy` of a checked service: labels as a map, CPU and memory as the strings docker's
// schema wants (a YAML number is accepted and converted), and the rules between fields.

type DeployInput = Exclude<NonNullable<ServiceInput['deploy']>, null>;
type ResourceInput = { cpus?: string | number; memory?: string | number };

const CPUS = /^([0-9]+(\.[0-9]{0,9})?|\.[0-9]{1,9})$/;

function resources(r: ResourceInput | undefined, path: string, f: Findings) {
  if (r === undefined) return undefined;
  const out: { cpus?: string; memory?: string } = {};
  if (r.cpus !== undefined) {
    out.cpus = scalarText(r.cpus);
    // A YAML number such as 1e-10 passes the schema, but not the engine's billionths.
    if (!CPUS.test(out.cpus)) f.errors.push({ path: at(path, 'cpus'), message: 'must have at most 9 decimals' });
  }
  if (r.memory !== undefined) out.memory = scalarText(r.memory);
  return out;
}

export function normaliseDeploy(input: DeployInput, path: string, f: Findings): ComposeDeploy {
  const { labels, resources: res, ...rest } = input;
  const deploy: ComposeDeploy = { ...rest };
  if (labels !== undefined) deploy.labels = toLabels(labels, at(path, 'labels'), f);
  if (res !== undefined) {
    const limits = resources(res.limits, at(path, 'resources.limits'), f);
    const reservations = resources(res.reservations, at(path, 'resources.reservations'), f);
    deploy.resources = { ...(limits ? { limits } : {}), ...(reservations ? { reservations } : {}) };
  }
  if (deploy.mode === 'global' && deploy.replicas !== undefined) {
    // docker/cli convertDeployMode refuses this too: a global service runs once per node.
    f.errors.push({ path: at(path, 'replicas'), message: 'can only be used with mode: replicated' });
  }
  return deploy;
}
