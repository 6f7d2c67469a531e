import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AppPartName } from './create.js';

// A restore under way, kept as <backups>/<target app>/restoring.json beside last-failure.json.
// A restore drops and refills an app's database and swaps its storage in: cut short (the API
// killed), the app holds half of it. The file is written before the first part is touched and
// removed once the last is done, so the API that starts next finds the restores it has to
// finish (finishInterruptedRestores): a restore is idempotent, running it again completes it.

export const RESTORING_FILE = 'restoring.json';

export interface RestoreIntent {
  /** The backup's app and id. */
  app: string;
  id: string;
  /** The app restored into. */
  into: string;
  parts: AppPartName[];
  startedAt: string;
}

export async function writeRestoreIntent(root: string, intent: RestoreIntent): Promise<void> {
  await writeFileAtomic(join(root, intent.into, RESTORING_FILE), `${JSON.stringify(intent, null, 2)}\n`);
}

export async function clearRestoreIntent(root: string, into: string): Promise<void> {
  await rm(join(root, into, RESTORING_FILE), { force: true });
}

/** The restores a stopped process left unfinished, one per target app. */
export async function interruptedRestores(root: string): Promise<RestoreIntent[]> {
  const dirs = await readdir(root, { withFileTypes: true }).catch(() => []);
  const found: RestoreIntent[] = [];
  for (const dir of dirs) {
    if (!dir.isDirectory() || dir.name.startsWith('_')) continue;
    const text = await readFile(join(root, dir.name, RESTORING_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const intent = JSON.parse(text) as RestoreIntent;
    found.push({ ...intent, into: dir.name });
  }
  return found;
}
