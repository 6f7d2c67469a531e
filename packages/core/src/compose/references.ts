import type { ErrorDetail } from '../errors.js';
import type { ComposeFile } from './types.js';

// Names a service uses must be defined at the top level of the file. docker/cli finds these one
// at a time while converting (`undefined network "front"`); here they are all reported up front.

/** The network every service without `networks:` joins; it needs no definition. */
export const DEFAULT_NETWORK = 'default';

const has = (map: Record<string, unknown> | undefined, key: string) =>
  map !== undefined && Object.prototype.hasOwnProperty.call(map, key);

export function referenceErrors(compose: ComposeFile): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const [key, svc] of Object.entries(compose.services)) {
    const path = `services.${key}`;
    for (const net of Object.keys(svc.networks ?? {})) {
      if (net !== DEFAULT_NETWORK && !has(compose.networks, net)) {
        errors.push({ path: `${path}.networks.${net}`, message: 'is not defined in the top-level networks' });
      }
    }
    (svc.volumes ?? []).forEach((m, i) => {
      if (m.type === 'volume' && m.source !== undefined && !has(compose.volumes, m.source)) {
        errors.push({
          path: `${path}.volumes[${i}]`,
          message: `volume "${m.source}" is not defined in the top-level volumes`,
        });
      }
    });
    for (const kind of ['secrets', 'configs'] as const) {
      (svc[kind] ?? []).forEach((ref, i) => {
        if (!has(compose[kind], ref.source)) {
          const noun = kind.slice(0, -1);
          errors.push({
            path: `${path}.${kind}[${i}]`,
            message: `${noun} "${ref.source}" is not defined in the top-level ${kind}`,
          });
        }
      });
    }
  }
  return errors;
}
