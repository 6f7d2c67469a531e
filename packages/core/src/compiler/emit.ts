import yaml from 'js-yaml';
import type { ComposeFile } from '../compose/types.js';

/** YAML text of a compiled stack, with a header saying where it came from. */
export function emitComposeYaml(compose: ComposeFile, origin: { app: string; image: string }): string {
  const header =
    `# minicloud stack for app "${origin.app}" (image ${origin.image}).\n` +
    '# Generated from the app manifest and its settings: change those, not this file.\n' +
    '# Holds no secrets: credentials come from the env_file outside the config repository.\n';
  // Every string is double-quoted: docker reads stacks with a YAML 1.1 parser, where a plain
  // `yes`, `on` or `2024-01-01` would turn into a boolean or a date. lineWidth -1: never fold.
  return header + yaml.dump(compose, { lineWidth: -1, noRefs: true, quotingType: '"', forceQuotes: true });
}
