import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MinicloudError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import {
  BACKUP_ID_PATTERN,
  BACKUP_MANIFEST_FILE,
  backupIdOf,
  readBackupManifest,
  timeOfBackupId,
  type BackupManifest,
} from './manifest.js';

// The backups directory (<data-dir>/backups, or a second location with the same shape):
//
//   <root>/<app>/<id>/            one backup: its parts, then backup.json, written last
//   <root>/<app>/last-failure.json  the reason the last attempt failed (gone after a success)
//   <root>/<app>/last-verify.json   the outcome of the last test restore
//   <root>/_platform/<id>/        platform backups (app names cannot start with "_")

export const PLATFORM_BACKUP_KEY = '_platform';
const ID = new RegExp(BACKUP_ID_PATTERN);
const FAILURE_FILE = 'last-failure.json';
const VERIFY_FILE = 'last-verify.json';

export interface BackupEntry {
  app: string;
  id: string;
  dir: string;
  /** When the backup started (its id). */
  time: Date;
  manifest: BackupManifest;
}

export interface BackupScan {
  /** Complete backups, newest first. */
  complete: BackupEntry[];
  /** Folders without backup.json: interrupted, or under way. */
  incomplete: { id: string; dir: string; time: Date }[];
  /** Folders whose backup.json does not validate. */
  damaged: { id: string; dir: string; reason: string }[];
}

export interface BackupFailure {
  at: string;
  reason: string;
  code?: string;
}

export interface VerifyRecord {
  at: string;
  id: string;
  ok: boolean;
  reason?: string;
}

export class BackupStore {
  /**
   * backup.json as last read, by folder, with the file's identity (inode, size, mtime): every
   * app list in the API shows each app's backup status, and re-reading and validating every
   * backup.json of every app each time would make that list cost grow with the backups kept.
   * backup.json is written once, last, and replaced only by a rename, so an unchanged identity
   * means unchanged content; any change (even a hand edit) is read and validated again.
   */
  readonly #manifests = new Map<string, { identity: string; manifest: BackupManifest | undefined }>();

  constructor(readonly root: string) {}

  /** readBackupManifest(dir), through the cache. */
  async #manifest(dir: string): Promise<BackupManifest | undefined> {
    const info = await stat(join(dir, BACKUP_MANIFEST_FILE)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) {
      this.#manifests.delete(dir);
      return undefined;
    }
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const cached = this.#manifests.get(dir);
    if (cached?.identity === identity) return cached.manifest;
    const manifest = await readBackupManifest(dir);
    this.#manifests.set(dir, { identity, manifest });
    return manifest;
  }

  appDir(app: string): string {
    return join(this.root, app);
  }

  dir(app: string, id: string): string {
    return join(this.root, app, id);
  }

  /** The apps (and _platform) that have a folder here. */
  async apps(): Promise<string[]> {
    const names = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return names
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  }

  async scan(app: string): Promise<BackupScan> {
    const scan: BackupScan = { complete: [], incomplete: [], damaged: [] };
    const names = await readdir(this.appDir(app), { withFileTypes: true }).catch(() => []);
    const seen = new Set<string>();
    for (const d of names) {
      if (!d.isDirectory() || !ID.test(d.name)) continue;
      const dir = this.dir(app, d.name);
      seen.add(dir);
      try {
        const manifest = await this.#manifest(dir);
        if (!manifest) scan.incomplete.push({ id: d.name, dir, time: timeOfBackupId(d.name) });
        else if (manifest.id !== d.name || manifest.app !== app) {
          scan.damaged.push({ id: d.name, dir, reason: `backup.json names ${manifest.app}/${manifest.id}` });
        } else scan.complete.push({ app, id: d.name, dir, time: timeOfBackupId(d.name), manifest });
      } catch (error) {
        scan.damaged.push({ id: d.name, dir, reason: (error as Error).message });
      }
    }
    // Folders gone (retention, a purge) leave the cache with them.
    const prefix = join(this.appDir(app), '/');
    for (const dir of this.#manifests.keys()) if (dir.startsWith(prefix) && !seen.has(dir)) this.#manifests.delete(dir);
    scan.complete.sort((a, b) => b.id.localeCompare(a.id));
    scan.incomplete.sort((a, b) => b.id.localeCompare(a.id));
    return scan;
  }

  /** Complete backups of an app, newest first. */
  async list(app: string): Promise<BackupEntry[]> {
    return (await this.scan(app)).complete;
  }

  /** One complete backup; `latest` names the newest. */
  async get(app: string, id: string): Promise<BackupEntry> {
    if (id === 'latest') {
      const newest = (await this.list(app))[0];
      if (!newest) throw new MinicloudError('MC_BACKUP_NOT_FOUND', `${app} has no complete backup`);
      return newest;
    }
    if (!ID.test(id))
      throw new MinicloudError('MC_BACKUP_NOT_FOUND', `${id} is not a backup id (such as 20250131T030000.123Z)`);
    const dir = this.dir(app, id);
    const manifest = await readBackupManifest(dir).catch((error: unknown) => {
      throw error instanceof MinicloudError
        ? error
        : new MinicloudError('MC_BACKUP_NOT_FOUND', `${app}/${id}: ${String(error)}`);
    });
    if (!manifest) {
      const exists = await stat(dir).then(
        () => true,
        () => false,
      );
      throw new MinicloudError(
        'MC_BACKUP_NOT_FOUND',
        exists
          ? `${app}/${id} is incomplete (no backup.json): it was interrupted or is still running`
          : `${app} has no backup ${id}`,
      );
    }
    if (manifest.app !== app || manifest.id !== id) {
      throw new MinicloudError('MC_BACKUP_DAMAGED', `${dir}/backup.json names ${manifest.app}/${manifest.id}`);
    }
    return { app, id, dir, time: timeOfBackupId(id), manifest };
  }

  /** Creates the folder of a new backup, its id from `now` (a millisecond later if taken). */
  async create(app: string, now: Date): Promise<{ id: string; dir: string }> {
    await mkdir(this.appDir(app), { recursive: true, mode: 0o700 });
    for (let t = now.getTime(); ; t++) {
      const id = backupIdOf(new Date(t));
      const dir = this.dir(app, id);
      try {
        await mkdir(dir, { mode: 0o700 });
        return { id, dir };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  async remove(app: string, id: string): Promise<void> {
    if (!ID.test(id)) throw new MinicloudError('MC_BACKUP_NOT_FOUND', `${id} is not a backup id`);
    await rm(this.dir(app, id), { recursive: true, force: true });
  }

  /** Deletes folders without backup.json started before `before` (older than any backup still running). */
  async removeIncomplete(app: string, before: Date): Promise<string[]> {
    const removed: string[] = [];
    for (const folder of (await this.scan(app)).incomplete) {
      if (folder.time.getTime() >= before.getTime()) continue;
      await rm(folder.dir, { recursive: true, force: true });
      removed.push(folder.id);
    }
    return removed;
  }

  /**
   * A backup attempt failed: its half-written folder (if any) goes, the reason is recorded for
   * the status (best effort: the error itself matters more), and the error to throw comes back,
   * a MinicloudError as it was or MC_BACKUP naming `what`.
   */
  async abandon(app: string, dir: string | undefined, error: unknown, what: string, at: Date): Promise<MinicloudError> {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    const failure =
      error instanceof MinicloudError
        ? error
        : new MinicloudError('MC_BACKUP', `${what}: ${(error as Error).message}`, [], { cause: error });
    await this.recordFailure(app, { at: at.toISOString(), reason: failure.message, code: failure.code }).catch(
      () => undefined,
    );
    return failure;
  }

  async recordFailure(app: string, failure: BackupFailure): Promise<void> {
    await writeFileAtomic(join(this.appDir(app), FAILURE_FILE), `${JSON.stringify(failure)}\n`, 0o600);
  }

  async clearFailure(app: string): Promise<void> {
    await rm(join(this.appDir(app), FAILURE_FILE), { force: true });
  }

  async lastFailure(app: string): Promise<BackupFailure | undefined> {
    const text = await readFile(join(this.appDir(app), FAILURE_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as BackupFailure;
    } catch {
      return { at: '', reason: 'last-failure.json is unreadable' };
    }
  }

  async recordVerify(app: string, record: VerifyRecord): Promise<void> {
    await writeFileAtomic(join(this.appDir(app), VERIFY_FILE), `${JSON.stringify(record)}\n`, 0o600);
  }

  async lastVerify(app: string): Promise<VerifyRecord | undefined> {
    const text = await readFile(join(this.appDir(app), VERIFY_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as VerifyRecord;
    } catch {
      return { at: '', id: '', ok: false, reason: 'last-verify.json is unreadable' };
    }
  }
}
