import type { ErrorDetail } from '../errors.js';
import { isNeedName } from '../needs/registry.js';
import type { AppRecord } from '../apps/types.js';
import type { DesiredApp } from './types.js';

/** The inputs of a record, as apply compares them (what was compiled from them is left out). */
export function desiredOfRecord(record: AppRecord): DesiredApp {
  return {
    name: record.name,
    image: record.image,
    domains: [...record.domains],
    envKeys: [...record.envKeys],
    replicas: record.replicas,
    ...(record.runnerReplicas ? { runnerReplicas: { ...record.runnerReplicas } } : {}),
    ...(record.followTag ? { followTag: true } : {}),
    needs: [...record.needs],
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * What is wrong with an app.json someone edited by hand, field by field (empty: nothing). Only
 * the fields apply reads are checked; the rest (the manifest, dates) are the platform's own.
 */
export function desiredAppErrors(value: unknown, folder: string): ErrorDetail[] {
  if (!isObject(value)) return [{ path: '', message: 'must be a JSON object' }];
  const errors: ErrorDetail[] = [];
  const need = (path: string, ok: boolean, message: string) => {
    if (!ok) errors.push({ path, message });
  };
  need('name', value['name'] === folder, `must be "${folder}", the name of its folder`);
  need('image', typeof value['image'] === 'string' && value['image'] !== '', 'must be an image reference');
  need('domains', value['domains'] === undefined || isStrings(value['domains']), 'must be a list of host names');
  // Older records hold `env` (values) instead of `envKeys`: parseRecord turns it into names.
  need('envKeys', value['envKeys'] === undefined || isStrings(value['envKeys']), 'must be a list of variable names');
  need('replicas', isCount(value['replicas']), 'must be a whole number, 0 or more');
  need(
    'needs',
    isStrings(value['needs']) && value['needs'].every((n) => isNeedName(n)),
    'must be a list of need kinds (database, messagebus, storage, postgres, redis)',
  );
  const runners = value['runnerReplicas'];
  need(
    'runnerReplicas',
    runners === undefined || (isObject(runners) && Object.values(runners).every(isCount)),
    'must map runner names to whole numbers',
  );
  need(
    'followTag',
    value['followTag'] === undefined || typeof value['followTag'] === 'boolean',
    'must be true or false',
  );
  return errors;
}
