import { formatImageRef, parseImageRef } from '../platform/image-ref.js';
import type { AppRecord } from './types.js';

// Push to deploy: an app that follows its image's tag (`app update --follow-tag`) is rolled out
// when that tag of the private registry gets a new manifest, through the registry's own push
// notifications. The rollout pins the pushed digest (`repo:tag@sha256:…`), so what runs is
// exactly what was pushed, and a later push of the same tag is told apart from this one.

/** One event of the registry's notification envelope, as far as this reads it. */
export interface RegistryEvent {
  action?: string;
  target?: { mediaType?: string; repository?: string; tag?: string; digest?: string };
}

export interface TagPush {
  repository: string;
  tag: string;
  digest: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The tagged manifest pushes in an envelope. Blob uploads, pulls, deletes and pushes by digest
 * alone (no tag) are not deploys; one push may be told twice (manifest list and manifest).
 */
export function tagPushes(events: readonly RegistryEvent[]): TagPush[] {
  const out = new Map<string, TagPush>();
  for (const e of events) {
    const t = e.target;
    if (e.action !== 'push' || !t?.tag || !t.repository || !t.digest || !DIGEST.test(t.digest)) continue;
    if (t.mediaType && !/manifest|image\.index/.test(t.mediaType)) continue;
    out.set(`${t.repository}:${t.tag}`, { repository: t.repository, tag: t.tag, digest: t.digest });
  }
  return [...out.values()];
}

export interface Rollout {
  app: string;
  image: string;
}

/**
 * The apps a push rolls out: those following a tag of this registry (`registryAddr`, as their
 * images name it) that was pushed, unless they already run that very digest.
 */
export function followRollouts(
  pushes: readonly TagPush[],
  records: readonly AppRecord[],
  registryAddr: string,
): Rollout[] {
  const out: Rollout[] = [];
  for (const r of records) {
    if (!r.followTag || r.state === 'removing') continue;
    const ref = parseImageRef(r.image);
    if (!ref || ref.host !== registryAddr || !ref.tag) continue;
    const push = pushes.find((p) => p.repository === ref.path && p.tag === ref.tag);
    if (!push || ref.digest === push.digest) continue;
    out.push({ app: r.name, image: formatImageRef({ ...ref, digest: push.digest }) });
  }
  return out;
}

/** Whether an image can be followed: a tag of the platform's own registry. */
export function followableImage(image: string, registryAddr: string): boolean {
  const ref = parseImageRef(image);
  return ref !== undefined && ref.host === registryAddr && ref.tag !== undefined;
}
