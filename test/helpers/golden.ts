import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const GOLDEN_DIR = new URL('../fixtures/golden/', import.meta.url).pathname;

export interface GoldenApp {
  name: string;
  dir: string;
  settings: Record<string, unknown>;
  expectedFile: string;
}

/** Each folder under fixtures/golden: a manifest, its settings.json, and the expected stack.yml. */
export function goldenApps(): GoldenApp[] {
  return readdirSync(GOLDEN_DIR)
    .sort()
    .map((name) => {
      const dir = join(GOLDEN_DIR, name);
      return {
        name,
        dir,
        settings: JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>,
        expectedFile: join(dir, 'stack.yml'),
      };
    });
}
