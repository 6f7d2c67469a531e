import type { HealthcheckSpec } from '../manifest/normalise.js';
import type { ComposeHealthcheck } from '../compose/types.js';
import { escapeInterpolation } from '../compose/interpolation.js';

export const HEALTHCHECK_DEFAULTS = { timeout: '5s', retries: 3, start_period: '10s' } as const;

/**
 * An http check runs inside the container, against the app's own port on loopback, with
 * whichever of curl or wget the image has. The path was validated to URL characters, and it is
 * single-quoted here too, so it cannot break out of the shell command.
 */
function httpTest(path: string, port: number): string[] {
  const url = `'http://127.0.0.1:${port}${path}'`;
  return ['CMD-SHELL', `curl -fsS -o /dev/null ${url} || wget -q -O /dev/null ${url} || exit 1`];
}

export function compileHealthcheck(hc: HealthcheckSpec, httpPort: number | undefined): ComposeHealthcheck {
  let test: string[];
  if (hc.http !== undefined && httpPort !== undefined) test = httpTest(hc.http, httpPort);
  else if (typeof hc.command === 'string') test = ['CMD-SHELL', escapeInterpolation(hc.command)];
  else test = ['CMD', ...(hc.command ?? []).map(escapeInterpolation)];
  return {
    test,
    interval: hc.interval,
    timeout: hc.timeout ?? HEALTHCHECK_DEFAULTS.timeout,
    retries: hc.retries ?? HEALTHCHECK_DEFAULTS.retries,
    start_period: hc.start_period ?? HEALTHCHECK_DEFAULTS.start_period,
  };
}
