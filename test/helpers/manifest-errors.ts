import { formatDetail, isMinicloudError, validateManifest } from '@minicloud/core';

/** The printed errors for a manifest, or [] when it is valid; any other failure is thrown. */
export function manifestErrors(doc: unknown): string[] {
  try {
    validateManifest(doc);
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    // An invalid manifest is this code and no other: a test would otherwise pass on the wrong error.
    if (error.code !== 'MC_MANIFEST_INVALID') throw error;
    return error.details.map(formatDetail);
  }
}
