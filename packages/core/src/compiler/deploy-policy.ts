import type { ComposeDeploy } from '../compose/types.js';

// How every minicloud service restarts and updates. Start-first keeps the old task serving
// until the new one is healthy; a failed update rolls itself back instead of leaving the app
// half-updated.
export const RESTART_POLICY: NonNullable<ComposeDeploy['restart_policy']> = {
  condition: 'any',
  delay: '5s',
  window: '60s',
};

export const UPDATE_CONFIG: NonNullable<ComposeDeploy['update_config']> = {
  parallelism: 1,
  delay: '5s',
  order: 'start-first',
  failure_action: 'rollback',
  monitor: '30s',
  max_failure_ratio: 0,
};

export const ROLLBACK_CONFIG: NonNullable<ComposeDeploy['rollback_config']> = {
  parallelism: 1,
  order: 'start-first',
  failure_action: 'pause',
  monitor: '30s',
};
