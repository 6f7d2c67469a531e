import { MinicloudError } from '../errors.js';

/**
 * The adapter a kind's shares or parts go through, or MC_UNAVAILABLE naming the service when
 * the context was built without it (a platform, or a test, that does not run that service).
 */
export function requireAdapter<T>(adapter: T | undefined, kind: string, service: string): T {
  if (adapter === undefined) {
    throw new MinicloudError('MC_UNAVAILABLE', `needs: ${kind} is not available here: no ${service} is configured`);
  }
  return adapter;
}
