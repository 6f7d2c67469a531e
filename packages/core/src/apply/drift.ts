import type Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composeFromText } from '../compose/load.js';
import { toDesiredStack } from '../stack/convert.js';
import { readStackInputs } from '../stack/inputs.js';
import { STACK_NAMESPACE_LABEL } from '../stack/types.js';
import { diffServices, summariseSpec, type Drift } from './diff.js';

/**
 * The edge of `minicloud diff` for one app: its stack as the directory compiled it (with the
 * env file it reads) and its services as the engine runs them, as summaries for diffServices.
 * Env names the stack takes from an env file (credentials, the operator's values) are secret.
 */
export async function appDrift(docker: Docker, appsDir: string, app: string): Promise<Drift[]> {
  const dir = join(appsDir, app);
  const compose = composeFromText(await readFile(join(dir, 'docker-compose.yml'), 'utf8'), `app ${app}`, {});
  // Converted as the app lifecycle deploys it (AppManager.deploy), so the specs compare alike.
  const desired = toDesiredStack(app, compose, await readStackInputs(compose, dir), {
    shortNamesOnExternalNetworks: false,
  });
  const plain = new Set(
    Object.values(compose.services).flatMap((s) =>
      Object.entries(s.environment ?? {})
        .filter(([, v]) => v !== null)
        .map(([k]) => k),
    ),
  );
  const wanted = desired.services.map((s) => summariseSpec(s.name, s.spec));
  const secret = new Set(wanted.flatMap((s) => Object.keys(s.env)).filter((k) => !plain.has(k)));
  const services = await docker.listServices({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${app}`] } });
  const running = services.map((s) =>
    summariseSpec(s.Spec?.Name ?? '', (s.Spec ?? {}) as unknown as Record<string, unknown>),
  );
  return diffServices(app, wanted, running, secret);
}
