import type { Descriptor } from './registry-client.js';

// Which registry images the scheduled clean-up deletes: a pure function of what the registry
// holds and what the swarm runs. Per repository it keeps every image a service runs or would
// roll back to, plus the `keep` newest others (a fresh push not yet deployed is the newest,
// so it is never collected with keep >= 1), and deletes the rest, by manifest digest.

export interface TagInfo {
  repo: string;
  tag: string;
  digest: string;
  /** ISO time the image was built (its config's `created`), when known. */
  created?: string;
  /** Blobs the manifest needs (config and layers; for an index, every child's). */
  blobs: Descriptor[];
}

export interface InUseRef {
  repo: string;
  tag?: string;
  digest?: string;
}

export interface GcPlan {
  keep: { repo: string; digest: string; tags: string[]; reason: 'deployed' | 'recent' }[];
  delete: { repo: string; digest: string; tags: string[] }[];
  /** Bytes of blobs that only deleted images use: what garbage-collect will free. */
  freedBytes: number;
}

interface Image {
  repo: string;
  digest: string;
  tags: string[];
  created: string;
  blobs: Descriptor[];
}

function groupByDigest(tags: readonly TagInfo[]): Image[] {
  const images = new Map<string, Image>();
  for (const t of tags) {
    const key = `${t.repo}@${t.digest}`;
    const image = images.get(key) ?? {
      repo: t.repo,
      digest: t.digest,
      tags: [],
      created: t.created ?? '',
      blobs: t.blobs,
    };
    image.tags.push(t.tag);
    if ((t.created ?? '') > image.created) image.created = t.created ?? '';
    images.set(key, image);
  }
  for (const image of images.values()) image.tags.sort();
  return [...images.values()];
}

export function planRegistryGc(tags: readonly TagInfo[], inUse: readonly InUseRef[], keep: number): GcPlan {
  const plan: GcPlan = { keep: [], delete: [], freedBytes: 0 };
  const byRepo = new Map<string, Image[]>();
  for (const image of groupByDigest(tags)) byRepo.set(image.repo, [...(byRepo.get(image.repo) ?? []), image]);
  for (const [repo, images] of [...byRepo].sort(([a], [b]) => a.localeCompare(b))) {
    const used = inUse.filter((u) => u.repo === repo);
    const deployed = (image: Image) =>
      used.some((u) =>
        u.digest !== undefined ? u.digest === image.digest : u.tag !== undefined && image.tags.includes(u.tag),
      );
    // Newest first; equal times (or none) fall back to the tag name, highest first.
    const others = images
      .filter((i) => !deployed(i))
      .sort(
        (a, b) =>
          b.created.localeCompare(a.created) ||
          (b.tags[0] ?? '').localeCompare(a.tags[0] ?? '', undefined, { numeric: true }),
      );
    for (const image of images.filter(deployed))
      plan.keep.push({ repo, digest: image.digest, tags: image.tags, reason: 'deployed' });
    others.forEach((image, i) => {
      if (i < keep) plan.keep.push({ repo, digest: image.digest, tags: image.tags, reason: 'recent' });
      else plan.delete.push({ repo, digest: image.digest, tags: image.tags });
    });
  }
  // Blobs are stored once per registry, whichever repositories link them.
  const kept = new Set<string>();
  const allImages = groupByDigest(tags);
  const find = (repo: string, digest: string) => allImages.find((i) => i.repo === repo && i.digest === digest);
  for (const k of plan.keep) for (const b of find(k.repo, k.digest)?.blobs ?? []) kept.add(b.digest);
  const freed = new Map<string, number>();
  for (const d of plan.delete)
    for (const b of find(d.repo, d.digest)?.blobs ?? []) if (!kept.has(b.digest)) freed.set(b.digest, b.size);
  plan.freedBytes = [...freed.values()].reduce((a, b) => a + b, 0);
  return plan;
}
