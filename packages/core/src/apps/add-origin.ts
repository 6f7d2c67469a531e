import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import type { ComposeApp } from '../compose-app/index.js';
import { readImageManifest } from '../engine/image-manifest.js';
import { composeRecordFields, readComposeApp } from './compose-stack.js';
import type { AddAppInput, AppRecord, Progress, UpdateAppInput } from './types.js';

// Where an added app comes from: an image (its manifest) or a compose file. Either gives the
// record's fields it decides and the files kept beside the record.

type RegistryAuth = Parameters<typeof readImageManifest>[2];

export interface AddOrigin {
  /** The name the origin gives (the manifest's); a compose file gives none. */
  name: string;
  fields: Pick<AppRecord, 'image' | 'manifest' | 'source'>;
  files: { manifest?: { text: string; file: string }; compose?: string };
  /** A compose app's checked file, compiled without reading it again. */
  app?: ComposeApp;
}

/**
 * What of an add's origin is checked without the engine: exactly one of image and compose, and
 * a compose app's file (MC_COMPOSE_INVALID naming each path) and name. Resolves the checked file.
 */
export function checkAddOrigin(input: Pick<AddAppInput, 'image' | 'compose' | 'name'>): ComposeApp | undefined {
  if ((input.image === undefined) === (input.compose === undefined)) {
    const path = input.image === undefined ? 'image' : 'compose';
    throw new MinicloudError('MC_SETTINGS_INVALID', 'an app is added from an image or from a compose file', [
      { path, message: 'give exactly one of image and compose' },
    ]);
  }
  if (input.compose === undefined) return undefined;
  const app = readComposeApp(input.compose);
  if (input.name === undefined) {
    throw new MinicloudError('MC_SETTINGS_INVALID', 'an app from a compose file needs a name', [
      { path: 'name', message: 'is required with compose: a compose file does not name its app' },
    ]);
  }
  return app;
}

export async function addOrigin(
  docker: Docker,
  input: AddAppInput,
  authFor: (image: string) => RegistryAuth,
  progress: Progress,
): Promise<AddOrigin> {
  const app = checkAddOrigin(input);
  if (app) {
    const name = input.name!;
    return { name, fields: composeRecordFields(app, name), files: { compose: input.compose! }, app };
  }
  const image = input.image!;
  progress(`reading the manifest of ${image}`);
  const read = await readImageManifest(docker, image, authFor(image));
  return {
    name: input.name ?? read.manifest.name,
    fields: { image, manifest: read.manifest },
    files: { manifest: { text: read.text, file: read.file } },
  };
}

/** An update keeps the app's origin: a new image for an image's app, a new file for a compose app. */
export function checkUpdateOrigin(before: Pick<AppRecord, 'name' | 'source'>, input: UpdateAppInput): void {
  const compose = before.source?.kind === 'compose';
  if (input.compose !== undefined && !compose) {
    throw new MinicloudError('MC_SETTINGS_INVALID', `app ${before.name} was added from an image`, [
      { path: 'compose', message: 'is only for apps added from a compose file; give image' },
    ]);
  }
  if (input.image !== undefined && compose) {
    throw new MinicloudError('MC_SETTINGS_INVALID', `app ${before.name} names its images in its compose file`, [
      { path: 'image', message: 'is only for apps added from an image; give compose (the new file)' },
    ]);
  }
}
