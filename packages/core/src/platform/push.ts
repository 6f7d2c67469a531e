import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { engineMessage, engineStatus } from '../engine/client.js';
import { authConfig, type RegistryAuth } from '../engine/registry-auth.js';
import { formatImageRef, parseImageRef, type ImageRef } from './image-ref.js';

// `minicloud push IMAGE`: tag a local image for the platform registry and push it with the
// registry's credentials, through the Engine API (the CLI may run in a container with only
// the Docker socket).

/** Where IMAGE goes: <registry>/<path>:<tag>, its path kept (or `name` instead) and `latest` by default. */
export function pushTarget(image: string, registryAddr: string, name?: string): ImageRef {
  const source = parseImageRef(image);
  if (!source) throw new MinicloudError('MC_PUSH_FAILED', `"${image}" is not an image reference`);
  if (source.digest) throw new MinicloudError('MC_PUSH_FAILED', `push a tag, not a digest: ${image}`);
  let path = source.path.replace(/^library\//, '');
  let tag = source.tag ?? 'latest';
  if (name !== undefined) {
    const renamed = parseImageRef(name);
    if (!renamed || renamed.digest || renamed.host !== 'docker.io')
      throw new MinicloudError(
        'MC_PUSH_FAILED',
        `--name "${name}" must be a path with an optional tag, such as apps/web:1.2`,
      );
    path = renamed.path;
    tag = renamed.tag ?? tag;
  }
  return { host: registryAddr, path, tag };
}

export interface PushResult {
  ref: string;
  digest: string;
}

export async function pushImage(
  docker: Docker,
  image: string,
  target: ImageRef,
  auth: RegistryAuth,
): Promise<PushResult> {
  const repo = `${target.host}/${target.path}`;
  const tag = target.tag ?? 'latest';
  try {
    await docker.getImage(image).tag({ repo, tag });
  } catch (error) {
    if (engineStatus(error) === 404) throw new MinicloudError('MC_IMAGE_NOT_FOUND', `no local image ${image}`);
    throw new MinicloudError('MC_ENGINE', `tag ${image} as ${repo}:${tag}: ${engineMessage(error)}`);
  }
  let digest = '';
  try {
    const stream = (await docker.getImage(repo).push({ tag, authconfig: authConfig(auth) })) as Readable;
    // A push reports failure (refused credentials, unknown CA) inside its progress stream.
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null, events: { error?: string; aux?: { Digest?: string } }[]) => {
          const failed = events.find((e) => e.error);
          digest = events.find((e) => e.aux?.Digest)?.aux?.Digest ?? '';
          if (err || failed) reject(new Error(err ? err.message : failed!.error));
          else resolve();
        },
      ),
    );
  } catch (error) {
    throw new MinicloudError('MC_PUSH_FAILED', `push ${repo}:${tag}: ${engineMessage(error)}`);
  }
  return { ref: formatImageRef(target), digest };
}
