import t from 'tap';
import yaml from 'js-yaml';
import {
  followableImage,
  followRollouts,
  registryConfigYaml,
  REGISTRY_NOTIFY_URL,
  Sensitive,
  tagPushes,
  type AppRecord,
} from '@minicloud/core';

// Push to deploy: which pushes count, which apps roll out, and the registry's config that
// sends the notifications.

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const REG = '10.0.0.5:5443';

const record = (name: string, image: string, extra: Partial<AppRecord> = {}): AppRecord =>
  ({ name, image, state: 'active', followTag: true, ...extra }) as AppRecord;

t.test('only tagged manifest pushes count, each once', async (t) => {
  t.same(
    tagPushes([
      { action: 'push', target: { mediaType: 'application/octet-stream', repository: 'team/shop', digest: D1 } },
      { action: 'pull', target: { mediaType: MANIFEST, repository: 'team/shop', tag: '1', digest: D1 } },
      { action: 'push', target: { mediaType: MANIFEST, repository: 'team/shop', digest: D1 } },
      { action: 'push', target: { mediaType: MANIFEST, repository: 'team/shop', tag: '1', digest: 'sha256:short' } },
      { action: 'push', target: { mediaType: MANIFEST, repository: 'team/shop', tag: '1', digest: D1 } },
      { action: 'push', target: { mediaType: MANIFEST, repository: 'team/shop', tag: '1', digest: D2 } },
      {
        action: 'push',
        target: { mediaType: 'application/vnd.oci.image.index.v1+json', repository: 'x', tag: 'a', digest: D1 },
      },
    ]),
    [
      { repository: 'team/shop', tag: '1', digest: D2 },
      { repository: 'x', tag: 'a', digest: D1 },
    ],
    'blobs, pulls, untagged pushes and bad digests are not deploys; the last push of a tag wins',
  );
});

t.test('apps following the pushed tag of this registry roll out to the digest; no others', async (t) => {
  const pushes = [{ repository: 'team/shop', tag: '1', digest: D2 }];
  const rollouts = followRollouts(
    pushes,
    [
      record('shop', `${REG}/team/shop:1`),
      record('pinned', `${REG}/team/shop:1@${D1}`),
      record('current', `${REG}/team/shop:1@${D2}`),
      record('quiet', `${REG}/team/shop:1`, { followTag: false }),
      record('other-tag', `${REG}/team/shop:2`),
      record('elsewhere', `registry.example.com/team/shop:1`),
      record('going', `${REG}/team/shop:1`, { state: 'removing' }),
    ],
    REG,
  );
  t.same(rollouts, [
    { app: 'shop', image: `${REG}/team/shop:1@${D2}` },
    { app: 'pinned', image: `${REG}/team/shop:1@${D2}` },
  ]);
});

t.test('only a tag of the platform registry can be followed', async (t) => {
  t.ok(followableImage(`${REG}/team/shop:1`, REG));
  t.ok(followableImage(`${REG}/team/shop:1@${D1}`, REG));
  t.notOk(followableImage(`${REG}/team/shop@${D1}`, REG), 'a digest alone has no tag to follow');
  t.notOk(followableImage('registry.example.com/team/shop:1', REG));
  t.notOk(followableImage('nginx', REG));
});

t.test(
  "the registry's config sends notifications to the API with the token, and is what the registry reads",
  async (t) => {
    const text = registryConfigYaml(new Sensitive('tok-123'));
    const config = yaml.load(text) as {
      version: number;
      notifications: { endpoints: { url: string; headers: Record<string, string[]> }[] };
    };
    t.equal(config.version, 0.1);
    t.same(
      config.notifications.endpoints.map((e) => [e.url, e.headers]),
      [[REGISTRY_NOTIFY_URL, { Authorization: ['Bearer tok-123'] }]],
    );
    t.equal(REGISTRY_NOTIFY_URL, 'http://minicloud_api:8080/v1/registry/events');
  },
);
