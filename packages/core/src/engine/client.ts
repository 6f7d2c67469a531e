import Docker from 'dockerode';

/**
 * A dockerode client for DOCKER_HOST (unix:///path or tcp://host:port), defaulting to the
 * local socket. minicloud talks to the Engine API directly: the API service runs in a
 * container that has the socket, not a docker CLI.
 */
export function dockerClient(host: string | undefined = process.env['DOCKER_HOST']): Docker {
  if (!host || host.startsWith('unix://')) {
    return new Docker({ socketPath: host ? host.slice('unix://'.length) : '/var/run/docker.sock' });
  }
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/** The engine's message from a failed API call (dockerode puts it in `json.message`). */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; reason?: string; message?: string };
  return e.json?.message ?? e.reason ?? e.message ?? String(error);
}

export function engineStatus(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}
