import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AppRecord } from './types.js';

/** Passwords minicloud generated for an app; kept so a redeploy does not re-key anything. */
export interface AppSecrets {
  database?: Sensitive<string>;
  messagebus?: Sensitive<string>;
}

const APP_FILE = 'app.json';

/**
 * The desired state of every app in the configuration directory, one folder per app
 * (app.json, the manifest as read from the image, the compiled stack): no secrets, so the
 * directory can be a git repository. Secrets go to the secrets dir, 0600. app.json is written
 * last, so a folder without it is an add that never finished, not an app.
 */
export class AppStore {
  constructor(
    readonly appsDir: string,
    readonly secretsDir: string,
  ) {}

  dir(name: string): string {
    return join(this.appsDir, name);
  }

  credentialsFile(name: string): string {
    return join(this.secretsDir, `${name}.env`);
  }

  private secretsFile(name: string): string {
    return join(this.secretsDir, `${name}.secrets.json`);
  }

  async exists(name: string): Promise<boolean> {
    return stat(join(this.dir(name), APP_FILE)).then(
      () => true,
      () => false,
    );
  }

  async read(name: string): Promise<AppRecord> {
    const text = await readFile(join(this.dir(name), APP_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${name}`);
    return JSON.parse(text) as AppRecord;
  }

  async list(): Promise<AppRecord[]> {
    const names = await readdir(this.appsDir).catch(() => [] as string[]);
    const records = await Promise.all(names.sort().map((n) => this.read(n).catch(() => undefined)));
    return records.filter((r): r is AppRecord => r !== undefined);
  }

  /** The record and its compiled stack; and the manifest text when it was (re)read from an image. */
  async write(
    record: AppRecord,
    files: { stackYaml: string; manifest?: { text: string; file: string } },
  ): Promise<void> {
    const dir = this.dir(record.name);
    await mkdir(dir, { recursive: true });
    if (files.manifest) await writeFileAtomic(join(dir, files.manifest.file), files.manifest.text);
    await writeFileAtomic(join(dir, 'docker-compose.yml'), files.stackYaml);
    await writeFileAtomic(join(dir, APP_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }

  async remove(name: string): Promise<void> {
    await rm(this.dir(name), { recursive: true, force: true });
  }

  async readSecrets(name: string): Promise<AppSecrets> {
    const text = await readFile(this.secretsFile(name), 'utf8').catch(() => undefined);
    if (text === undefined) return {};
    const raw = JSON.parse(text) as Record<string, string>;
    return {
      ...(raw['database'] ? { database: new Sensitive(raw['database']) } : {}),
      ...(raw['messagebus'] ? { messagebus: new Sensitive(raw['messagebus']) } : {}),
    };
  }

  /** The passwords and the env file the stack reads them from, both 0600. */
  async writeSecrets(name: string, secrets: AppSecrets, credentialsEnv: Sensitive<string>): Promise<void> {
    await mkdir(this.secretsDir, { recursive: true, mode: 0o700 });
    const raw: Record<string, string> = {};
    if (secrets.database) raw['database'] = secrets.database.reveal();
    if (secrets.messagebus) raw['messagebus'] = secrets.messagebus.reveal();
    await writeFileAtomic(this.secretsFile(name), `${JSON.stringify(raw)}\n`, 0o600);
    await writeFileAtomic(this.credentialsFile(name), credentialsEnv.reveal(), 0o600);
  }

  async removeSecrets(name: string): Promise<void> {
    await rm(this.secretsFile(name), { force: true });
    await rm(this.credentialsFile(name), { force: true });
  }
}
