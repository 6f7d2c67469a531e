import yaml from 'js-yaml';
import type { ComposeFile } from '../compose/types.js';

/** YAML text of a compiled stack, with a header saying where it came from. */
export function emitComposeYaml(compose: ComposeFile, origin: { app: string; image: string }): string {
  const header =
    `# minicloud stack for app "${origin.app}" (image ${origin.image}).\n` +
    '# Generated from the app manifest and its settings: change those, not this file.\n' +
    '# Holds no secrets: credentials come from the env_file outside the config repository.\n';
  // lineWidth -1: never fold long values (a folded env value would change meaning for readers).
  return header + yaml.dump(compose, { lineWidth: -1, noRefs: true, quotingType: '"' });
}
