import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { MANIFEST_FILE_NAMES, formatOf, parseManifestText } from './parse.js';
import { validateManifest } from './validate.js';
import { normaliseManifest, type Manifest } from './normalise.js';

/** The pure pipeline for text already in hand: parse -> validate -> normalise. */
export function manifestFromText(text: string, fileName: string): Manifest {
  const data = parseManifestText(text, formatOf(fileName), fileName);
  return normaliseManifest(validateManifest(data, fileName));
}

async function findManifestFile(dir: string): Promise<string> {
  for (const name of MANIFEST_FILE_NAMES) {
    const candidate = join(dir, name);
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new MinicloudError(
    'MC_MANIFEST_NOT_FOUND',
    `no cloud manifest in ${dir} (looked for ${MANIFEST_FILE_NAMES.join(', ')})`,
  );
}

/** Reads a manifest from a file, or from a directory holding one of the accepted file names. */
export async function loadManifest(path: string): Promise<Manifest> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new MinicloudError('MC_MANIFEST_NOT_FOUND', `${path} does not exist`);
  const file = info.isDirectory() ? await findManifestFile(path) : path;
  const text = await readFile(file, 'utf8');
  return manifestFromText(text, basename(file));
}
