import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { parseRecord } from '../apps/store.js';
import { desiredAppErrors, desiredOfRecord } from './desired-app.js';
import { secretVariable } from './secrets.js';
import type { DesiredApp, GivenSecrets } from './types.js';

// The effectful edge of apply: what a configuration directory (the platform's own, or a copy
// such as a git checkout) holds. Everything after this works on plain data.

const APP_FILE = 'app.json';

/**
 * The apps of `<dir>/apps/<app>/app.json`. A folder without app.json is an add that never
 * finished and one being removed is on its way out: neither is desired. A file that does not
 * parse or breaks a field is an error naming the file and the field.
 */
export async function readDesiredApps(dir: string): Promise<DesiredApp[]> {
  const appsDir = join(dir, 'apps');
  const folders = (await readdir(appsDir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const apps: DesiredApp[] = [];
  for (const folder of folders) {
    const file = join(appsDir, folder, APP_FILE);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new MinicloudError('MC_CONFIG_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, [
        { path: file, message: 'is not valid JSON' },
      ]);
    }
    const errors = desiredAppErrors(value, folder);
    if (errors.length > 0) {
      throw new MinicloudError(
        'MC_CONFIG_INVALID',
        `${file}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        errors.map((e) => ({ path: `${file}${e.path ? `#${e.path}` : ''}`, message: e.message })),
      );
    }
    const { record } = parseRecord(text);
    if (record.state === 'removing') continue;
    apps.push(desiredOfRecord({ ...record, domains: record.domains ?? [], envKeys: record.envKeys ?? [] }));
  }
  return apps;
}

/**
 * The env values given for the apps: `<dir>/secrets/<app>/<NAME>` (one value per file, its
 * final line break dropped; the directory's .gitignore keeps these out of git), else the
 * MINICLOUD_SECRET_<APP>_<NAME> variable. Names given neither way are left out.
 */
export async function readGivenSecrets(
  dir: string,
  apps: readonly DesiredApp[],
  environment: NodeJS.ProcessEnv = process.env,
): Promise<GivenSecrets> {
  const given: GivenSecrets = {};
  for (const app of apps) {
    for (const key of app.envKeys) {
      const file = await readFile(join(dir, 'secrets', app.name, key), 'utf8').catch(() => undefined);
      const value = file !== undefined ? file.replace(/\r?\n$/, '') : environment[secretVariable(app.name, key)];
      if (value !== undefined) (given[app.name] ??= {})[key] = value;
    }
  }
  return given;
}
