import { readFile } from 'node:fs/promises';
import { MinicloudError } from '../errors.js';
import type { InterpolationEnv } from './interpolate.js';
import { composeFromText } from './load.js';
import type { ComposeFile } from './types.js';

/**
 * Reads a compose file and loads it (compose/load.ts) with `env` for interpolation: the
 * effectful edge for callers holding a path. The files it points at are read separately, by
 * readStackInputs, relative to the file's directory.
 */
export async function loadComposeFile(path: string, env: InterpolationEnv): Promise<ComposeFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : (err as Error).message;
    throw new MinicloudError('MC_COMPOSE_INVALID', `cannot read compose file ${path}: ${why}`, [
      { path: '', message: `${path} ${why}` },
    ]);
  }
  return composeFromText(text, path, env);
}
