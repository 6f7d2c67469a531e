// The names the platform's own services answer to, shared by the rules that keep apps off
// them: the manifest (runner names), the compiler (app names) and the platform (its stack).
// Kept at the bottom of core so that none of them imports another for it.

/** The stack the management services run in (install/lib/common.sh STACK). */
export const PLATFORM_STACK = 'minicloud';

/**
 * The services of the management stack (stacks/management/minicloud.yml) and the names they
 * answer to on the shared networks (`mariadb`, `rabbitmq`, `registry` are apps' addresses for
 * them). A unit test keeps this list in step with the stack file.
 */
export const PLATFORM_SERVICE_NAMES: readonly string[] = [
  'api',
  'mariadb',
  'node-agent',
  'postgres',
  'proxy',
  'rabbitmq',
  'redis',
  'registry',
];
