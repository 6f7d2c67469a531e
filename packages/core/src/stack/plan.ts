import { MinicloudError, type ErrorDetail } from '../errors.js';
import { LABELS } from '../labels.js';
import { changedFields } from './changed-fields.js';
import { CONTENT_HASH_LABEL, SPEC_HASH_LABEL, STACK_NAMESPACE_LABEL, type DesiredStack } from './types.js';

export type ObjectKind = 'network' | 'volume' | 'secret' | 'config' | 'service';

/** What the engine reports for one object: enough to decide, nothing more. */
export interface ActualObject {
  kind: ObjectKind;
  id: string;
  name: string;
  labels: Record<string, string>;
  /** Services only: the stored spec and its version, needed for an update. */
  spec?: Record<string, unknown>;
  version?: number;
}

export type Action =
  | { op: 'create'; kind: ObjectKind; name: string }
  | { op: 'update'; kind: 'service'; name: string; id: string; version: number; fields: string[] }
  | { op: 'unchanged'; kind: ObjectKind; name: string; id: string }
  | { op: 'remove'; kind: 'service'; name: string; id: string };

export interface StackPlan {
  stack: string;
  actions: Action[];
}

export interface PlanOptions {
  prune?: boolean;
  /**
   * Takes objects `docker stack deploy` made for this very stack (labelled with its namespace)
   * as minicloud's: how the installer moves the management stack, deployed by the docker CLI
   * before, to minicloud's own deploy. Off for apps: an app never takes over what it did not make.
   */
  adoptStack?: boolean;
}

/**
 * Desired state vs what the engine has -> the actions to take. Pure. Refuses, with every
 * conflict named, to touch an object that minicloud did not create, and to deploy a stack
 * whose external networks, volumes, secrets or configs do not exist.
 */
export function planStack(desired: DesiredStack, actual: ActualObject[], options: PlanOptions = {}): StackPlan {
  const isManaged = (o: ActualObject) =>
    o.labels[LABELS.managed] === 'true' ||
    (options.adoptStack === true && o.labels[STACK_NAMESPACE_LABEL] === desired.name);
  const find = (kind: ObjectKind, name: string) => actual.find((o) => o.kind === kind && o.name === name);
  const errors: ErrorDetail[] = [];
  const missing: ErrorDetail[] = [];
  const changed: ErrorDetail[] = [];
  const actions: Action[] = [];

  const simple: [ObjectKind, { name: string; key: string; external: boolean; labels?: Record<string, string> }[]][] = [
    ['network', desired.networks],
    ['volume', desired.volumes],
    ['secret', desired.secrets],
    ['config', desired.configs],
  ];
  for (const [kind, objects] of simple) {
    for (const object of objects) {
      const found = find(kind, object.name);
      if (object.external) {
        // Volumes are created on demand by the node that mounts them, so only check the rest.
        if (!found && kind !== 'volume') {
          missing.push({ path: `${kind}s.${object.key}`, message: `external ${kind} "${object.name}" does not exist` });
        }
        continue;
      }
      if (!found) actions.push({ op: 'create', kind, name: object.name });
      else if (!isManaged(found)) errors.push(conflict(kind, object.name));
      else if (contentChanged(found, object.labels)) changed.push(changedContent(kind, object.name, object.key));
      else actions.push({ op: 'unchanged', kind, name: object.name, id: found.id });
    }
  }

  for (const service of desired.services) {
    const found = find('service', service.name);
    if (!found) {
      actions.push({ op: 'create', kind: 'service', name: service.name });
    } else if (!isManaged(found)) {
      errors.push(conflict('service', service.name));
    } else if (found.labels[SPEC_HASH_LABEL] === service.hash) {
      actions.push({ op: 'unchanged', kind: 'service', name: service.name, id: found.id });
    } else {
      const fields = changedFields(found.spec ?? {}, service.spec);
      actions.push({
        op: 'update',
        kind: 'service',
        name: service.name,
        id: found.id,
        version: found.version ?? 0,
        fields: fields.length > 0 ? fields : ['Labels'],
      });
    }
  }

  if (options.prune) {
    const wanted = new Set(desired.services.map((s) => s.name));
    for (const o of actual) {
      if (
        o.kind === 'service' &&
        o.labels[STACK_NAMESPACE_LABEL] === desired.name &&
        !wanted.has(o.name) &&
        isManaged(o)
      ) {
        actions.push({ op: 'remove', kind: 'service', name: o.name, id: o.id });
      }
    }
  }

  if (errors.length > 0) {
    throw new MinicloudError(
      'MC_STACK_CONFLICT',
      `stack ${desired.name}: ${errors.map((e) => e.message).join('; ')}`,
      errors,
    );
  }
  if (changed.length > 0) {
    throw new MinicloudError(
      'MC_STACK_OBJECT_CHANGED',
      `stack ${desired.name}: ${changed.map((e) => e.message).join('; ')}`,
      changed,
    );
  }
  if (missing.length > 0) {
    throw new MinicloudError(
      'MC_STACK_MISSING_EXTERNAL',
      `stack ${desired.name}: ${missing.map((e) => e.message).join('; ')}`,
      missing,
    );
  }
  return { stack: desired.name, actions };
}

/**
 * A secret or config whose file changed since it was created. Objects created before the
 * content hash label existed carry none and are taken as unchanged, as they were before.
 */
function contentChanged(found: ActualObject, desired: Record<string, string> | undefined): boolean {
  const had = found.labels[CONTENT_HASH_LABEL];
  const wants = desired?.[CONTENT_HASH_LABEL];
  return had !== undefined && wants !== undefined && had !== wants;
}

function changedContent(kind: ObjectKind, name: string, key: string): ErrorDetail {
  return {
    path: `${kind}s.${key}`,
    message:
      `${kind} "${name}" exists with other content, and a swarm ${kind} cannot change: ` +
      `give the new content a new name (e.g. ${key}_v2) or remove the stack first`,
  };
}

function conflict(kind: ObjectKind, name: string): ErrorDetail {
  return {
    path: name,
    message: `${kind} "${name}" exists and is not managed by minicloud (no ${LABELS.managed} label)`,
  };
}

/** One line per object, for `--dry-run` and the CLI's report. */
export function formatPlan(plan: StackPlan): string[] {
  return plan.actions.map((a) => {
    const head = `${a.op.padEnd(9)} ${a.kind} ${a.name}`;
    return a.op === 'update' ? `${head} (${a.fields.join(', ')})` : head;
  });
}
