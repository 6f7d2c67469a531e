import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { engineMessage } from '../engine/client.js';
import { execInContainer, runningServiceContainer } from '../engine/container-exec.js';
import { loadPlatformSettings } from './init.js';
import { platformLayout } from './layout.js';
import { parseImageRef } from './image-ref.js';
import { RegistryClient, type Descriptor, type ImageManifest } from './registry-client.js';
import { planRegistryGc, type GcPlan, type InUseRef, type TagInfo } from './registry-gc.js';
import type { PlatformSettings } from './settings.js';

export interface RegistryAccess {
  settings: PlatformSettings;
  client: RegistryClient;
  username: string;
  password: Sensitive<string>;
}

async function readSecretFile(path: string): Promise<Sensitive<string>> {
  try {
    return new Sensitive((await readFile(path, 'utf8')).trim());
  } catch (error) {
    throw new MinicloudError(
      'MC_REGISTRY_AUTH',
      `cannot read the registry password from ${path}: ${(error as Error).message} (run as root on the manager, or pass --password-file)`,
    );
  }
}

/**
 * The platform registry's address, CA and credentials, from the data dir: settings from
 * config/platform.json, the CA from public/ca.crt, the password from secrets/ (root only),
 * each overridable (MINICLOUD_REGISTRY_URL, MINICLOUD_REGISTRY_PASSWORD_FILE or options).
 */
export async function registryAccess(
  dataDir: string,
  options: { url?: string; passwordFile?: string } = {},
): Promise<RegistryAccess> {
  const settings = await loadPlatformSettings(dataDir);
  const layout = platformLayout(dataDir);
  const url = options.url ?? process.env['MINICLOUD_REGISTRY_URL'] ?? `https://${settings.registryAddr}`;
  const ca = await readFile(join(layout.publicDir, 'ca.crt'), 'utf8').catch(() => undefined);
  const password = await readSecretFile(
    options.passwordFile ?? process.env['MINICLOUD_REGISTRY_PASSWORD_FILE'] ?? layout.secret['registry-password'],
  );
  const client = new RegistryClient({ url, ...(ca ? { ca } : {}), username: settings.registryUser, password });
  return { settings, client, username: settings.registryUser, password };
}

export interface RegistryTag extends TagInfo {
  /** Bytes the image takes in the registry (compressed layers, config, manifests). */
  size: number;
}

async function imageBlobs(
  client: RegistryClient,
  repo: string,
  manifest: ImageManifest,
): Promise<{ blobs: Descriptor[]; created?: string }> {
  if (manifest.manifests) {
    const blobs: Descriptor[] = [];
    let created: string | undefined;
    for (const child of manifest.manifests) {
      blobs.push({ digest: child.digest, size: child.size });
      const sub = await imageBlobs(client, repo, (await client.manifest(repo, child.digest)).manifest);
      blobs.push(...sub.blobs);
      if (sub.created && (!created || sub.created > created)) created = sub.created;
    }
    return { blobs, ...(created ? { created } : {}) };
  }
  const blobs = [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])].map((d) => ({
    digest: d.digest,
    size: d.size,
  }));
  let created: string | undefined;
  if (manifest.config) {
    const config = await client.blobJson<{ created?: string }>(repo, manifest.config.digest).catch(() => undefined);
    created = config?.created;
  }
  return { blobs, ...(created ? { created } : {}) };
}

/** Every tag of every repository with its digest, build time and size. */
export async function listRegistry(client: RegistryClient): Promise<RegistryTag[]> {
  const out: RegistryTag[] = [];
  for (const repo of await client.repositories()) {
    for (const tag of await client.tags(repo)) {
      const { digest, manifest } = await client.manifest(repo, tag);
      const { blobs, created } = await imageBlobs(client, repo, manifest);
      out.push({
        repo,
        tag,
        digest,
        ...(created ? { created } : {}),
        blobs,
        size: blobs.reduce((a, b) => a + b.size, 0),
      });
    }
  }
  return out;
}

/** Bytes of distinct blobs: the registry stores a layer once however many images share it. */
export function uniqueBytes(tags: readonly TagInfo[]): number {
  const sizes = new Map<string, number>();
  for (const t of tags) for (const b of t.blobs) sizes.set(b.digest, b.size);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

interface ServiceRow {
  Spec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } };
  PreviousSpec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } };
}

/** Images of the registry that services run now or would roll back to. */
export async function imagesInUse(docker: Docker, registryAddr: string): Promise<InUseRef[]> {
  let services: ServiceRow[];
  try {
    services = (await docker.listServices()) as ServiceRow[];
  } catch (error) {
    throw new MinicloudError('MC_ENGINE', `list services: ${engineMessage(error)}`);
  }
  const out: InUseRef[] = [];
  for (const s of services) {
    for (const image of [
      s.Spec?.TaskTemplate?.ContainerSpec?.Image,
      s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image,
    ]) {
      const ref = image ? parseImageRef(image) : undefined;
      if (ref && ref.host === registryAddr)
        out.push({
          repo: ref.path,
          ...(ref.tag ? { tag: ref.tag } : {}),
          ...(ref.digest ? { digest: ref.digest } : {}),
        });
    }
  }
  return out;
}

export const REGISTRY_SERVICE = 'minicloud_registry';

/** Runs `registry garbage-collect` inside the running registry container on this engine. */
export async function garbageCollect(docker: Docker, service = REGISTRY_SERVICE): Promise<string> {
  const id = await runningServiceContainer(docker, service);
  if (!id)
    throw new MinicloudError(
      'MC_REGISTRY',
      `no running ${service} container on this node; run the clean-up on the manager`,
    );
  const { exitCode, stdout: output } = await execInContainer(docker, id, {
    cmd: ['registry', 'garbage-collect', '/etc/docker/registry/config.yml'],
    mergeStderr: true,
  });
  if (exitCode !== 0)
    throw new MinicloudError(
      'MC_REGISTRY',
      `registry garbage-collect exited ${exitCode}: ${output.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return output;
}

export interface GcResult {
  plan: GcPlan;
  before: number;
  after?: number;
}

/** The scheduled clean-up: plan, delete manifests, then free their blobs. */
export async function runRegistryGc(
  access: RegistryAccess,
  docker: Docker,
  options: { keep: number; dryRun?: boolean },
): Promise<GcResult> {
  const tags = await listRegistry(access.client);
  const inUse = await imagesInUse(docker, access.settings.registryAddr);
  const plan = planRegistryGc(tags, inUse, options.keep);
  const before = uniqueBytes(tags);
  if (options.dryRun) return { plan, before };
  for (const d of plan.delete) await access.client.deleteManifest(d.repo, d.digest);
  if (plan.delete.length > 0) await garbageCollect(docker);
  return { plan, before, after: uniqueBytes(await listRegistry(access.client)) };
}
