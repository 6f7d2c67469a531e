import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256Hex } from '../stack/hash.js';
import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';

// The files that make the configuration directory ready to be a git repository: a .gitignore
// that keeps secrets out, and a README that says what each file is and how to apply a change.

export const CONFIG_GITIGNORE = `# Written by minicloud platform init. Secrets never live in this directory: keep it so.
# Env values for \`minicloud apply\`: secrets/<app>/<NAME>, one value per file.
secrets/
# Anything that looks like credentials or keys.
*.key
*.pem
*.p12
*.pfx
*.env
*.secrets.json
*credentials*
*password*
*token*
# Backups and the new versions init leaves beside a file edited by hand.
backups/
*.bak
*.minicloud-new
`;

export const CONFIG_README = `# minicloud configuration directory

Written by \`minicloud platform init\`; minicloud keeps it up to date unless you edit this file.
It holds the desired state of the platform and no secrets, so it can be a git repository.

| Path | What it is |
| --- | --- |
| \`platform.json\` | the install settings (domain, registry, images) and hashes of the files init rendered |
| \`management/\` | the management stack (\`minicloud.yml\`) and the files its services read (proxy, databases) |
| \`apps/<app>/app.json\` | an app's desired state: image, domains, env variable names, replicas, runners, needs |
| \`apps/<app>/<manifest>\` | the cloud manifest as read from the app's image |
| \`apps/<app>/docker-compose.yml\` | the stack compiled from them (what runs) |
| \`secrets/<app>/<NAME>\` | env values for \`minicloud apply\` (ignored by git: never commit them) |

## The flow

Change an app's \`app.json\` (image, replicas, env names, domains), commit and push; on the
server, or anywhere with the CLI and a copy of this directory:

    git pull && minicloud apply --dry-run   # the plan: create / update / unchanged / remove
    git pull && minicloud apply             # carry it out

\`minicloud apply DIR\` applies another copy of the directory (a checkout elsewhere). An env
value is a secret: give it in \`secrets/<app>/<NAME>\` or as \`MINICLOUD_SECRET_<APP>_<NAME>\`;
a name the platform already has keeps its value. An app removed from the directory is removed
only with \`--prune\` (its data stays). \`minicloud diff\` shows what runs differently from here
(a \`docker service update\` by hand, say).
`;

/** The files, by name under the configuration directory. */
export const CONFIG_DOCS: Record<string, string> = { '.gitignore': CONFIG_GITIGNORE, 'README.md': CONFIG_README };

export type DocAction = 'created' | 'updated' | 'kept' | 'customized';

/**
 * Writes one of the files when it is absent, or when it holds what minicloud last wrote
 * (`ours`, its hash): a file someone wrote or edited is theirs and stays as it is. Resolves
 * what was done and the hash to remember (none for a file that is not ours).
 */
export async function ensureConfigDoc(
  configDir: string,
  name: string,
  ours: string | undefined,
): Promise<{ path: string; action: DocAction; hash?: string }> {
  const path = join(configDir, name);
  const text = CONFIG_DOCS[name]!;
  const existing = await readIfExists(path);
  const hash = sha256Hex(text);
  if (existing === text) return { path, action: 'kept', hash };
  if (existing !== undefined && (ours === undefined || sha256Hex(existing) !== ours)) {
    return { path, action: 'customized', ...(ours ? { hash: ours } : {}) };
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text, 0o644);
  return { path, action: existing === undefined ? 'created' : 'updated', hash };
}
