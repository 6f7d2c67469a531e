import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { ComposeFile } from '../compose/types.js';
import { compareText, type ConvertContext, type ConvertOptions } from './convert-context.js';
import { desiredFileObjects, desiredNetworks, desiredVolumes } from './convert-objects.js';
import { convertService } from './convert-service.js';
import type { DesiredStack, StackInputs } from './types.js';

// compose file -> the Engine API objects `docker stack deploy` would create: the pure half of a
// deploy (docker/cli cli/compose/convert/). The planner diffs the result against what the
// engine reports; the applier creates what is missing and fills in secret and config IDs.

/** Service names become DNS labels on the stack's networks: at most 63 characters. */
const MAX_SERVICE_NAME = 63;
const STACK_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$/;

function nameErrors(stackName: string, compose: ComposeFile): ErrorDetail[] {
  if (!STACK_NAME.test(stackName)) {
    return [{ path: '', message: `stack name ${JSON.stringify(stackName)} must be letters, digits, - and _` }];
  }
  return Object.keys(compose.services)
    .filter((key) => `${stackName}_${key}`.length > MAX_SERVICE_NAME)
    .map((key) => ({
      path: `services.${key}`,
      message: `makes the service name ${stackName}_${key}, longer than ${MAX_SERVICE_NAME} characters`,
    }));
}

/**
 * Pure and deterministic: objects sorted by compose key, labels and env sorted, no clock and no
 * I/O (files come in `inputs`, see readStackInputs). Every problem is reported at once.
 * `compose` is a loaded file (composeFromText, loadComposeFile), already interpolated: the
 * compiler's own ComposeFile still holds `$$` escapes, so load its YAML rather than pass it.
 */
export function toDesiredStack(
  stackName: string,
  compose: ComposeFile,
  inputs: StackInputs,
  options: ConvertOptions = {},
): DesiredStack {
  const naming = nameErrors(stackName, compose);
  if (naming.length > 0) throw new MinicloudError('MC_COMPOSE_INVALID', `cannot deploy as stack ${stackName}`, naming);
  const ctx: ConvertContext = {
    stack: stackName,
    compose,
    inputs,
    options: { shortNamesOnExternalNetworks: options.shortNamesOnExternalNetworks ?? true },
    errors: [],
  };
  const stack: DesiredStack = {
    name: stackName,
    networks: desiredNetworks(ctx),
    volumes: desiredVolumes(ctx),
    secrets: desiredFileObjects(ctx, 'secret'),
    configs: desiredFileObjects(ctx, 'config'),
    services: Object.keys(compose.services)
      .sort(compareText)
      .map((key) => convertService(ctx, key, compose.services[key]!)),
  };
  if (ctx.errors.length > 0) {
    const noun = ctx.errors.length === 1 ? 'error' : 'errors';
    throw new MinicloudError('MC_COMPOSE_INVALID', `stack ${stackName} has ${ctx.errors.length} ${noun}`, ctx.errors);
  }
  return stack;
}
