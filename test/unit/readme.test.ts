import t from 'tap';
import { readFileSync } from 'node:fs';
import { ALLOWED_SERVICE_KEYS, ManifestSchema, REFUSED_SERVICE_KEYS, XMinicloudSchema } from '@minicloud/core';

type Node = { type?: string; properties?: Record<string, Node>; items?: Node };

/** Every field path the schema accepts, written as the README writes them (`expose[].port`). */
function fieldPaths(node: Node, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    paths.push(path);
    if (child.properties) paths.push(...fieldPaths(child, path));
    if (child.items?.properties) paths.push(...fieldPaths(child.items, `${path}[]`));
  }
  return paths;
}

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's section under `heading`, up to the next section of its level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

t.test('the README manifest reference documents every field of the schema', async (t) => {
  const reference = section('## Manifest reference');
  const paths = fieldPaths(ManifestSchema as unknown as Node);
  t.ok(paths.length > 15, 'the walk found the fields');
  for (const path of paths) t.match(reference, `| \`${path}\` |`, `README documents ${path}`);
});

t.test('the README compose-app reference documents every x-minicloud field and the allowlist', async (t) => {
  const reference = section('## Apps from a compose file');
  const paths = fieldPaths(XMinicloudSchema as unknown as Node, 'x-minicloud');
  t.ok(paths.length >= 10, 'the walk found the fields');
  for (const path of paths) t.match(reference, `| \`${path}\` |`, `README documents ${path}`);
  const rows = [...reference.matchAll(/^\| `(x-minicloud[^`]*)` \|/gm)].map((m) => m[1]);
  t.same(
    rows.filter((row) => !paths.includes(row!)),
    [],
    'the README documents no field the schema lacks',
  );
  for (const key of [...ALLOWED_SERVICE_KEYS, ...Object.keys(REFUSED_SERVICE_KEYS)]) {
    t.match(reference, `\`${key}\``, `README names the service key ${key}`);
  }
});
