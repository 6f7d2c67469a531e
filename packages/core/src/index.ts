export * from './errors.js';
export * from './version.js';
export * from './sensitive.js';
export * from './labels.js';
export { PLATFORM_SERVICE_NAMES } from './platform-names.js';
export * from './manifest/index.js';
export * from './needs/index.js';
export * from './compiler/index.js';
export * from './compose-app/index.js';
export * from './compose/types.js';
export { escapeInterpolation } from './compose/interpolation.js';
export { compileChecker, type Checker, type CheckResult } from './schema/ajv.js';
export { pointerToPath } from './schema/describe-errors.js';
export * from './stack/types.js';
export * from './stack/plan.js';
export { changedFields } from './stack/changed-fields.js';
export * from './stack/deploy.js';
export * from './stack/converge.js';
export * from './stack/status.js';
export * from './stack/remove.js';
export * from './stack/task-status.js';
export * from './engine/client.js';
export * from './engine/registry-auth.js';
export * from './engine/image-manifest.js';
export * from './engine/swarm.js';
export * from './engine/frames.js';
export * from './engine/container-exec.js';
export * from './proxy/render.js';
export { DNS_FALLBACK_SOCKET } from './proxy/templates.js';
export * from './proxy/upstream-addresses.js';
export * from './proxy/proxy-peers.js';
export * from './proxy/upstream-locator.js';
export * from './proxy/task-probe.js';
export { interpolate, type InterpolationEnv } from './compose/interpolate.js';
export { parseEnvFile, type EnvLookup } from './compose/env-file.js';
export { parseComposeYaml, validateCompose, composeFromText } from './compose/load.js';
export { loadComposeFile } from './compose/load-file.js';
export { toDesiredStack } from './stack/convert.js';
export type { ConvertOptions } from './stack/convert-context.js';
export { STACK_IMAGE_LABEL } from './stack/convert-service.js';
export { readStackInputs } from './stack/inputs.js';
export { durationToNanos, sizeToBytes, cpusToNano } from './stack/units.js';
export * from './platform/index.js';
export * from './apps/types.js';
export * from './provision/index.js';
export * from './needs/redis/index.js';
export * from './proxy/controller.js';
export * from './apps/index.js';
export * from './apply/index.js';
export { writeFileAtomic } from './util/atomic-write.js';
export { retryUntilDone, type UntilDone, type UntilDoneOptions } from './util/until-done.js';
export {
  DEFAULT_SERVICE_WAIT_MS,
  isUnreachable,
  ServiceUnreachable,
  waitForService,
  type ServiceWaitOptions,
} from './util/service-wait.js';
export { withAdminConnection, type AdminCall, type AdminServer } from './util/admin-connection.js';
export * from './backup/index.js';
export * from './events/index.js';
export * from './acme/index.js';
export * from './nodes/engines.js';
export * from './nodes/agents.js';
export * from './nodes/server-memory.js';
export * from './needs/postgres/index.js';
