import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { LABELS } from '../labels.js';
import { listStackServices } from '../stack/status.js';

// The services an app runs (`web` and its runners), or the one a `--runner` names: what logs,
// stats and exec look at. An unknown runner is an error naming the ones there are.

export interface AppService {
  id: string;
  /** `web` or the runner's name. */
  short: string;
  /** The service's memory limit, when it has one (`resources.memory` of the manifest). */
  memoryLimitBytes?: number;
  /**
   * The service the proxy routes to (its `minicloud.role` label says web): a manifest app's
   * `web`, a compose app's routed service whatever its name.
   */
  routed?: boolean;
}

interface ServiceRow {
  ID: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    TaskTemplate?: { Resources?: { Limits?: { MemoryBytes?: number } } };
  };
}

export async function appServices(docker: Docker, app: string, runner: string | undefined): Promise<AppService[]> {
  const rows = (await listStackServices(docker, app)) as ServiceRow[];
  const all = rows.map((r) => {
    const limit = r.Spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes;
    return {
      id: r.ID,
      short: (r.Spec?.Name ?? r.ID).slice(app.length + 1),
      ...(limit ? { memoryLimitBytes: limit } : {}),
      ...(r.Spec?.Labels?.[LABELS.role] === 'web' ? { routed: true } : {}),
    };
  });
  if (runner === undefined) return all;
  const one = all.filter((s) => s.short === runner);
  if (one.length === 0) {
    throw new MinicloudError('MC_RUNNER_NOT_FOUND', `app ${app} has no runner ${runner}`, [
      { path: 'runner', message: `must be one of ${all.map((s) => s.short).join(', ') || '(none running)'}` },
    ]);
  }
  return one;
}
