import yaml from 'js-yaml';
import type { ComposeFile } from '../compose/types.js';

/** Where a compiled stack came from: the app, its image (one for a manifest app), and its source. */
export interface StackOrigin {
  app: string;
  image?: string;
  /** `the app manifest` unless said. */
  from?: string;
}

/** YAML text of a compiled stack, with a header saying where it came from. */
export function emitComposeYaml(compose: ComposeFile, origin: StackOrigin): string {
  const image = origin.image !== undefined ? ` (image ${origin.image})` : '';
  const header =
    `# minicloud stack for app "${origin.app}"${image}.\n` +
    `# Generated from ${origin.from ?? 'the app manifest'} and its settings: change those, not this file.\n` +
    '# Holds no secrets: credentials come from the env_file outside the config repository.\n';
  // Every string is double-quoted: docker reads stacks with a YAML 1.1 parser, where a plain
  // `yes`, `on` or `2024-01-01` would turn into a boolean or a date. lineWidth -1: never fold.
  return header + yaml.dump(compose, { lineWidth: -1, noRefs: true, quotingType: '"', forceQuotes: true });
}
