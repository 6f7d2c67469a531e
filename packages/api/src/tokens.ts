import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MinicloudError, Sensitive } from '@minicloud/core';

// Scoped secrets the API hands out: deploy tokens (each may update one app, for CI pipelines)
// and one webhook secret per app (a push of its image redeploys it). Only their sha256 hashes
// are kept, in one 0600 file under the platform's secrets dir, replaced atomically; the secret
// itself is shown once, when it is made.

export interface DeployTokenInfo {
  id: string;
  app: string;
  description: string;
  createdAt: string;
}

interface StoredToken extends DeployTokenInfo {
  sha256: string;
}

interface StoredWebhook {
  app: string;
  createdAt: string;
  sha256: string;
}

interface TokenFile {
  version: 1;
  deployTokens: StoredToken[];
  webhooks: StoredWebhook[];
}

export const TOKENS_FILE = 'api-tokens.json';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares a presented secret with a stored hash in constant time (both sides are 32 bytes). */
function matches(given: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

function secret(prefix: string): Sensitive<string> {
  return new Sensitive(`${prefix}_${randomBytes(32).toString('base64url')}`);
}

export class TokenStore {
  #data: TokenFile;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    /** Undefined: kept in memory only (tests, a server without a data dir). */
    readonly file: string | undefined,
    data: TokenFile,
    private readonly now: () => Date,
  ) {
    this.#data = data;
  }

  /** Opens `<secretsDir>/api-tokens.json` (created on first write), or a memory-only store. */
  static async open(secretsDir?: string, now: () => Date = () => new Date()): Promise<TokenStore> {
    const file = secretsDir === undefined ? undefined : join(secretsDir, TOKENS_FILE);
    let data: TokenFile = { version: 1, deployTokens: [], webhooks: [] };
    if (file) {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (text !== undefined) {
        const parsed = JSON.parse(text) as Partial<TokenFile>;
        data = { version: 1, deployTokens: parsed.deployTokens ?? [], webhooks: parsed.webhooks ?? [] };
      }
    }
    return new TokenStore(file, data, now);
  }

  listDeployTokens(app?: string): DeployTokenInfo[] {
    return this.#data.deployTokens
      .filter((t) => app === undefined || t.app === app)
      .map(({ id, app, description, createdAt }) => ({ id, app, description, createdAt }));
  }

  async createDeployToken(app: string, description = ''): Promise<DeployTokenInfo & { token: Sensitive<string> }> {
    const token = secret('mcd');
    const info: DeployTokenInfo = {
      id: randomBytes(6).toString('hex'),
      app,
      description,
      createdAt: this.now().toISOString(),
    };
    this.#data.deployTokens.push({ ...info, sha256: sha256(token.reveal()).toString('hex') });
    await this.#save();
    return { ...info, token };
  }

  async revokeDeployToken(id: string): Promise<void> {
    const before = this.#data.deployTokens.length;
    this.#data.deployTokens = this.#data.deployTokens.filter((t) => t.id !== id);
    if (this.#data.deployTokens.length === before)
      throw new MinicloudError('MC_TOKEN_NOT_FOUND', `no deploy token with id ${id}`);
    await this.#save();
  }

  /** The deploy token a bearer token is, if any; every stored hash is compared in constant time. */
  matchDeployToken(token: string): DeployTokenInfo | undefined {
    const given = sha256(token);
    let found: StoredToken | undefined;
    for (const t of this.#data.deployTokens) if (matches(given, t.sha256) && !found) found = t;
    return found && { id: found.id, app: found.app, description: found.description, createdAt: found.createdAt };
  }

  webhook(app: string): { enabled: boolean; createdAt?: string } {
    const hook = this.#data.webhooks.find((w) => w.app === app);
    return hook ? { enabled: true, createdAt: hook.createdAt } : { enabled: false };
  }

  /** Makes (or replaces) the app's webhook secret. */
  async createWebhook(app: string): Promise<{ createdAt: string; secret: Sensitive<string> }> {
    const value = secret('mch');
    const createdAt = this.now().toISOString();
    this.#data.webhooks = [
      ...this.#data.webhooks.filter((w) => w.app !== app),
      { app, createdAt, sha256: sha256(value.reveal()).toString('hex') },
    ];
    await this.#save();
    return { createdAt, secret: value };
  }

  async removeWebhook(app: string): Promise<boolean> {
    const before = this.#data.webhooks.length;
    this.#data.webhooks = this.#data.webhooks.filter((w) => w.app !== app);
    if (this.#data.webhooks.length === before) return false;
    await this.#save();
    return true;
  }

  checkWebhook(app: string, presented: string): boolean {
    const hook = this.#data.webhooks.find((w) => w.app === app);
    const given = sha256(presented);
    // Compare against something even when the app has no hook, so timing tells nothing either way.
    return matches(given, hook?.sha256 ?? '00'.repeat(32)) && hook !== undefined;
  }

  /** Forgets an app's tokens and webhook (the app was removed). */
  async forgetApp(app: string): Promise<void> {
    const before = this.#data.deployTokens.length + this.#data.webhooks.length;
    this.#data.deployTokens = this.#data.deployTokens.filter((t) => t.app !== app);
    this.#data.webhooks = this.#data.webhooks.filter((w) => w.app !== app);
    if (this.#data.deployTokens.length + this.#data.webhooks.length !== before) await this.#save();
  }

  /**
   * Forgets the tokens and webhooks of every app not in `apps`: what a remove that failed in an
   * earlier version left, which the next app of that name would otherwise inherit. Resolves
   * the apps whose credentials went.
   */
  async forgetAppsExcept(apps: readonly string[]): Promise<string[]> {
    const keep = new Set(apps);
    const orphans = new Set(
      [...this.#data.deployTokens, ...this.#data.webhooks].map((t) => t.app).filter((app) => !keep.has(app)),
    );
    if (orphans.size === 0) return [];
    this.#data.deployTokens = this.#data.deployTokens.filter((t) => keep.has(t.app));
    this.#data.webhooks = this.#data.webhooks.filter((w) => keep.has(w.app));
    await this.#save();
    return [...orphans].sort();
  }

  /** Writes are serialized; each writes a 0600 temporary file beside the target and renames it. */
  #save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const text = `${JSON.stringify(this.#data, null, 2)}\n`;
    const next = this.#writing.then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = join(dirname(file), `.${TOKENS_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(tmp, text, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }
}
