import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MinicloudError, type ErrorDetail } from '../errors.js';
import type { ComposeFile } from '../compose/types.js';
import type { StackInputs } from './types.js';

// The effectful edge of converting a stack: read the files a compose file points at, so that
// toDesiredStack stays pure. Paths are relative to the compose file's directory, as docker
// reads them; they stay keyed by the path as written.

interface Wanted {
  /** Where the file is named, for the error: `services.web.env_file[0]`. */
  path: string;
  file: string;
}

function wantedFiles(compose: ComposeFile): { envFiles: Wanted[]; files: Wanted[] } {
  const envFiles = Object.entries(compose.services).flatMap(([key, svc]) =>
    (svc.env_file ?? []).map((file, i) => ({ path: `services.${key}.env_file[${i}]`, file })),
  );
  const files = (['secrets', 'configs'] as const).flatMap((section) =>
    Object.entries(compose[section] ?? {}).flatMap(([key, def]) =>
      !def.external && def.file !== undefined ? [{ path: `${section}.${key}.file`, file: def.file }] : [],
    ),
  );
  return { envFiles, files };
}

async function readAll<T>(
  wanted: Wanted[],
  baseDir: string,
  read: (abs: string) => Promise<T>,
  errors: ErrorDetail[],
): Promise<Record<string, T>> {
  const out = new Map<string, T>();
  for (const { path, file } of wanted) {
    if (out.has(file)) continue;
    const abs = resolve(baseDir, file);
    try {
      out.set(file, await read(abs));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      errors.push({ path, message: `${abs} ${why}` });
    }
  }
  return Object.fromEntries(out);
}

/**
 * Reads every env_file and every secret/config `file:` of `compose`, relative to `baseDir`.
 * `env` is the deploy's environment for bare `KEY` variables (see StackInputs.env).
 * A missing file is an MC_COMPOSE_INVALID error naming the field that points at it.
 */
export async function readStackInputs(
  compose: ComposeFile,
  baseDir: string,
  env?: Record<string, string | undefined>,
): Promise<StackInputs> {
  const wanted = wantedFiles(compose);
  const errors: ErrorDetail[] = [];
  const envFiles = await readAll(wanted.envFiles, baseDir, (abs) => readFile(abs, 'utf8'), errors);
  const files = await readAll(wanted.files, baseDir, (abs) => readFile(abs), errors);
  if (errors.length > 0) {
    const noun = errors.length === 1 ? 'file' : 'files';
    throw new MinicloudError('MC_COMPOSE_INVALID', `cannot read ${errors.length} ${noun} the stack uses`, errors);
  }
  return { envFiles, files, ...(env !== undefined ? { env } : {}) };
}
