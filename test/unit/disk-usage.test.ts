import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiskUsageReader, directoryBytes } from '@minicloud/core';

// The dashboard's disk figures: the filesystem from statfs, directory sizes from a walk that is
// kept and measured again only once stale.

t.test('the platform and each app storage, measured once and then answered from the last walk', async (t) => {
  const dir = t.testdir({
    registry: { 'blob-a': 'x'.repeat(40_000) },
    storage: { shop: { 'upload.bin': 'y'.repeat(100_000), deeper: { 'file.txt': 'z'.repeat(9000) } }, blog: {} },
  });
  let now = new Date('2026-11-26T12:00:00Z');
  const reader = new DiskUsageReader(dir, 60_000, () => now);
  const first = await reader.read();
  t.ok(first.totalBytes > 0 && first.usedBytes > 0 && first.freeBytes > 0 && first.freeBytes <= first.totalBytes);
  t.equal(first.path, dir);
  t.same(
    first.apps.map((a) => a.app),
    ['blog', 'shop'],
  );
  const shop = first.apps.find((a) => a.app === 'shop')!.bytes;
  t.ok(shop >= 109_000, `shop's storage counted with its subfolders (${shop})`);
  t.equal(shop, await directoryBytes(join(dir, 'storage', 'shop')));
  t.ok(first.platformBytes >= 40_000, 'the registry counts for the platform');
  t.ok(first.platformBytes < shop, "the apps' storage is not counted for the platform");
  t.equal(first.measuredAt, now.toISOString());

  writeFileSync(join(dir, 'storage', 'blog', 'post.html'), 'p'.repeat(50_000));
  now = new Date(now.getTime() + 30_000);
  t.same((await reader.read()).apps, first.apps, 'fresh enough: no new walk');
  now = new Date(now.getTime() + 60_000);
  const stale = await reader.read();
  t.equal(stale.measuredAt, first.measuredAt, 'a stale answer is given at once, the walk runs behind');
  // The walk behind runs when the machine lets it: asked again until it has landed (a fixed
  // wait failed on a busy machine), within a bound.
  let next = await reader.read();
  for (const deadline = Date.now() + 10_000; next.measuredAt === first.measuredAt && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 20));
    next = await reader.read();
  }
  t.ok(next.apps.find((a) => a.app === 'blog')!.bytes >= 50_000, 'the next answer has the new walk');
  t.equal(await directoryBytes(join(dir, 'no-such-dir')), 0, 'a missing directory is empty');
});
