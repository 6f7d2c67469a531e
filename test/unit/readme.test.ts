import t from 'tap';
import { readFileSync } from 'node:fs';
import { ManifestSchema } from '@minicloud/core';

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

t.test('the README manifest reference documents every field of the schema', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const reference = readme.slice(readme.indexOf('## Manifest reference'));
  const paths = fieldPaths(ManifestSchema as unknown as Node);
  t.ok(paths.length > 15, 'the walk found the fields');
  for (const path of paths) t.match(reference, `| \`${path}\` |`, `README documents ${path}`);
});
