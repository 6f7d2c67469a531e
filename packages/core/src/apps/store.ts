import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { NEED_KINDS, type NeedName } from '../needs/registry.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readState } from './removal.js';
import type { AppRecord } from './types.js';

/**
 * Passwords minicloud generated for an app, kept so a redeploy does not re-key anything, and
 * the values of the operator's env variables (the record keeps only their names).
 */
export type AppSecrets = NeedPasswords & { env?: Record<string, Sensitive<string>> };

/** Per need kind with credentials, its password, under the kind's name ({"database": ...}). */
export type NeedPasswords = Partial<Record<NeedName, Sensitive<string>>>;

/** The secrets file as stored: each kind's password under its name, then the env values. */
type RawSecrets = Partial<Record<NeedName, string>> & { env?: Record<string, string> };

/**
 * A record as stored. `legacyEnv`: the record was written before env values moved to the
 * secrets dir, and still holds them (AppManager moves them on first use, and at start-up).
 */
export interface StoredRecord {
  record: AppRecord;
  legacyEnv?: Record<string, string>;
}

const APP_FILE = 'app.json';
/** A compose app's file as the operator gave it (docker-compose.yml beside it is the compiled stack). */
export const COMPOSE_SOURCE_FILE = 'app.compose.yml';

/** A record as stored; older ones lack fields that are filled in here (see readState). */
export function parseRecord(text: string): StoredRecord {
  const { env, state, removal, ...rest } = JSON.parse(text) as Omit<AppRecord, 'state'> & {
    env?: Record<string, string>;
    state?: unknown;
    removal?: unknown;
  };
  const record: AppRecord = { ...rest, ...readState({ state, removal }) };
  if (env === undefined) return { record };
  // The names are what the record keeps; the values only go to what moves them.
  return { record: { ...record, envKeys: Object.keys(env).sort() }, legacyEnv: env };
}

/**
 * The desired state of every app in the configuration directory, one folder per app
 * (app.json, the manifest as read from the image, the compiled stack): no secrets, so the
 * directory can be a git repository. Secrets (passwords, env values) go to the secrets dir,
 * 0600: `<app>.secrets.json` as data, `<app>.env` as the env file the stack reads. app.json is written
 * last, so a folder without it is an add that never finished, not an app.
 */
export class AppStore {
  #changes = 0;

  constructor(
    readonly appsDir: string,
    readonly secretsDir: string,
  ) {}

  /** How many writes and removals of records this store has made: a listing made before one is stale. */
  get changes(): number {
    return this.#changes;
  }

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

  /** The record, without env values even when an old one still holds them. */
  async read(name: string): Promise<AppRecord> {
    return (await this.readStored(name)).record;
  }

  async readStored(name: string): Promise<StoredRecord> {
    const text = await readFile(join(this.dir(name), APP_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) throw new MinicloudError('MC_APP_NOT_FOUND', `no app named ${name}`);
    return parseRecord(text);
  }

  async names(): Promise<string[]> {
    return (await readdir(this.appsDir).catch(() => [] as string[])).sort();
  }

  async list(): Promise<AppRecord[]> {
    const records = await Promise.all((await this.names()).map((n) => this.read(n).catch(() => undefined)));
    return records.filter((r): r is AppRecord => r !== undefined);
  }

  /**
   * The record and its compiled stack; and the manifest text when it was (re)read from an
   * image, or a compose app's file when it was given (add, update --compose).
   */
  async write(
    record: AppRecord,
    files: { stackYaml: string; manifest?: { text: string; file: string }; compose?: string },
  ): Promise<void> {
    const dir = this.dir(record.name);
    await mkdir(dir, { recursive: true });
    if (files.manifest) await writeFileAtomic(join(dir, files.manifest.file), files.manifest.text);
    if (files.compose !== undefined) await writeFileAtomic(join(dir, COMPOSE_SOURCE_FILE), files.compose);
    await writeFileAtomic(join(dir, 'docker-compose.yml'), files.stackYaml);
    await this.writeRecord(record);
  }

  /** app.json alone, for a change of the record that changes nothing deployed. */
  async writeRecord(record: AppRecord): Promise<void> {
    await writeFileAtomic(join(this.dir(record.name), APP_FILE), `${JSON.stringify(record, null, 2)}\n`);
    this.#changes++;
  }

  /** A compose app's file, as last written. */
  async readCompose(name: string): Promise<string> {
    const text = await readFile(join(this.dir(name), COMPOSE_SOURCE_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) throw new MinicloudError('MC_APP_NOT_FOUND', `app ${name} has no ${COMPOSE_SOURCE_FILE}`);
    return text;
  }

  async remove(name: string): Promise<void> {
    await rm(this.dir(name), { recursive: true, force: true });
    this.#changes++;
  }

  async readSecrets(name: string): Promise<AppSecrets> {
    const text = await readFile(this.secretsFile(name), 'utf8').catch(() => undefined);
    if (text === undefined) return {};
    const raw = JSON.parse(text) as RawSecrets;
    const secrets: AppSecrets = {};
    for (const kind of NEED_KINDS) {
      const password = kind.credentials ? raw[kind.name] : undefined;
      if (password) secrets[kind.name] = new Sensitive(password);
    }
    if (raw.env) secrets.env = wrapEnv(raw.env);
    return secrets;
  }

  /** The passwords and env values, and the env file the stack reads them from, both 0600. */
  async writeSecrets(name: string, secrets: AppSecrets, credentialsEnv: Sensitive<string>): Promise<void> {
    await mkdir(this.secretsDir, { recursive: true, mode: 0o700 });
    const raw: RawSecrets = {};
    for (const kind of NEED_KINDS) {
      const password = kind.credentials ? secrets[kind.name] : undefined;
      if (password) raw[kind.name] = password.reveal();
    }
    if (secrets.env && Object.keys(secrets.env).length > 0) raw.env = revealEnv(secrets.env);
    await writeFileAtomic(this.secretsFile(name), `${JSON.stringify(raw)}\n`, 0o600);
    await writeFileAtomic(this.credentialsFile(name), credentialsEnv.reveal(), 0o600);
  }

  async removeSecrets(name: string): Promise<void> {
    await rm(this.secretsFile(name), { force: true });
    await rm(this.credentialsFile(name), { force: true });
  }
}

export function wrapEnv(env: Readonly<Record<string, string>>): Record<string, Sensitive<string>> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, new Sensitive(v)]));
}

export function revealEnv(env: Readonly<Record<string, Sensitive<string>>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.reveal()]));
}
