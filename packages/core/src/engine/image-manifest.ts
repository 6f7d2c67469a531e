import type Docker from 'dockerode';
import { extract } from 'tar-stream';
import type { Readable } from 'node:stream';
import { MinicloudError } from '../errors.js';
import { MANIFEST_FILE_NAMES } from '../manifest/parse.js';
import { manifestFromText } from '../manifest/load.js';
import type { Manifest } from '../manifest/normalise.js';
import { authConfig, type RegistryAuth } from './registry-auth.js';
import { engineMessage, engineStatus } from './client.js';

/** Manifests are a few hundred bytes; anything this large is not one. */
const MAX_MANIFEST_BYTES = 256 * 1024;

async function ensureImage(docker: Docker, image: string, auth?: RegistryAuth): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (error) {
    if (engineStatus(error) !== 404)
      throw new MinicloudError('MC_ENGINE', `inspect image ${image}: ${engineMessage(error)}`);
  }
  try {
    const stream = (await docker.pull(image, auth ? { authconfig: authConfig(auth) } : {})) as Readable;
    // A pull reports failure inside its progress stream, not as an HTTP status.
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = err ?? events.find((e) => e.error);
        if (failed) reject(new Error(err ? err.message : (failed as { error: string }).error));
        else resolve();
      }),
    );
  } catch (error) {
    throw new MinicloudError(
      'MC_IMAGE_NOT_FOUND',
      `image ${image} is not present and could not be pulled: ${engineMessage(error)}`,
    );
  }
}

/** The single file in a tar stream from the archive API, as text. */
function readSingleFile(tar: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const unpack = extract();
    let text: string | undefined;
    unpack.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      let size = 0;
      body.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_MANIFEST_BYTES) chunks.push(c);
      });
      body.on('end', () => {
        if (text === undefined && header.type === 'file') {
          if (size > MAX_MANIFEST_BYTES) reject(new Error(`manifest is larger than ${MAX_MANIFEST_BYTES} bytes`));
          text = Buffer.concat(chunks).toString('utf8');
        }
        next();
      });
      body.resume();
    });
    unpack.on('finish', () => (text === undefined ? reject(new Error('empty archive')) : resolve(text)));
    unpack.on('error', reject);
    tar.pipe(unpack);
  });
}

/**
 * Reads an image's cloud manifest the way `docker create` + `docker cp` would, through the
 * API: pull if missing, create a stopped container, fetch the file through the archive
 * endpoint, remove the container. Parses and validates it. A missing manifest is a clear error.
 */
export async function readImageManifest(
  docker: Docker,
  image: string,
  auth?: RegistryAuth,
): Promise<{ manifest: Manifest; text: string; file: string }> {
  await ensureImage(docker, image, auth);
  // The container is never started, so its command only has to satisfy create.
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['/minicloud-manifest-probe'],
    Cmd: [],
    Labels: { 'minicloud.managed': 'true' },
  });
  try {
    for (const name of MANIFEST_FILE_NAMES) {
      let tar: Readable;
      try {
        tar = (await container.getArchive({ path: `/${name}` })) as Readable;
      } catch (error) {
        if (engineStatus(error) === 404) continue;
        throw new MinicloudError('MC_ENGINE', `read /${name} from ${image}: ${engineMessage(error)}`);
      }
      const text = await readSingleFile(tar);
      return { manifest: manifestFromText(text, name), text, file: name };
    }
    throw new MinicloudError(
      'MC_MANIFEST_NOT_FOUND',
      `image ${image} has no cloud manifest at its root (looked for ${MANIFEST_FILE_NAMES.map((n) => `/${n}`).join(', ')})`,
    );
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
