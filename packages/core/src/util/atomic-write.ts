import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// A reader (nginx reloading, a task starting, the next install) must see either the old file
// or the new one, never half of one: write a temporary file beside it, then rename it over
// (atomic within a file system). The temporary name starts with a dot and ends in `.tmp`, so
// an nginx `include conf.d/*.conf` never picks it up.

export async function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    // writeFile's mode is filtered by the umask; the exact mode matters for keys (0600).
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** The file's text, or undefined when it does not exist (other errors are thrown). */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
