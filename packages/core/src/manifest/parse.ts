import yaml from 'js-yaml';
import { MinicloudError } from '../errors.js';
import { documentBoundsError } from '../schema/document-bounds.js';

export type ManifestFormat = 'yaml' | 'json';

export const MANIFEST_FILE_NAMES = ['cloud_manifest.yml', 'cloud_manifest.yaml', 'cloud_manifest.json'] as const;

export function formatOf(fileName: string): ManifestFormat {
  return fileName.endsWith('.json') ? 'json' : 'yaml';
}

/**
 * Text to plain data. YAML is read with the core schema (no dates or custom tags), so what a
 * manifest says is what JSON could say too; duplicate keys are an error, not a silent overwrite.
 */
export function parseManifestText(text: string, format: ManifestFormat, source = 'manifest'): unknown {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: source });
  } catch (err) {
    const reason =
      err instanceof yaml.YAMLException
        ? `line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${err.reason}`
        : (err as Error).message;
    throw new MinicloudError('MC_MANIFEST_PARSE', `${source} is not valid ${format.toUpperCase()}: ${reason}`, [
      { path: '', message: reason },
    ]);
  }
  const tooBig = documentBoundsError(doc);
  if (tooBig) throw new MinicloudError('MC_MANIFEST_PARSE', `${source} is too large: ${tooBig.message}`, [tooBig]);
  return doc;
}
