import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createClient, ErrorReply, RESP_TYPES } from '@redis/client';
import { MinicloudError } from '../../errors.js';
import type { Sensitive } from '../../sensitive.js';
import { withAdminConnection, type AdminServer } from '../../util/admin-connection.js';
import { isUnreachable } from '../../util/service-wait.js';
import { REDIS_RESERVED_USERS, redisNames, redisPasswordRule, redisSetUserArgs, type RedisAppNames } from './acl.js';
import {
  encodeDumpHeader,
  encodeDumpRecord,
  encodeDumpTrailer,
  keyWithoutPrefix,
  parseRedisDump,
  type RedisDumpHeader,
  type RedisDumpRecord,
} from './dump-format.js';
import { REDIS_ADMIN_USER, REDIS_PORT } from './service.js';

// The one edge to the shared Redis, for provisioning and for backups: an admin connection per
// call (these are rare operations; an idle admin connection would only hold a secret open),
// through @redis/client with its reconnects off, so a server that is not there is an error
// here, waited out like MariaDB's (util/service-wait.ts). Users are saved to the server's ACL
// file after each change (ACL SAVE): they outlive a restart.

export interface RedisAdminOptions {
  /** Where the platform reaches the server, e.g. `redis` from the API container. */
  host: string;
  port?: number;
  /** The admin user (all keys, all commands); default mcadmin. */
  user?: string;
  password: Sensitive<string>;
  /** What apps are told (REDIS_URL), on the services network. */
  appHost?: string;
  appPort?: number;
  connectTimeoutMs?: number;
  /** How long a call waits for a server that cannot be reached (its task restarting); default 60 s. */
  unavailableWaitMs?: number;
}

type Arg = string | Buffer;
/** One command on the admin connection; `binary` answers bulk strings as Buffers. */
type Send = (what: string, args: readonly Arg[], binary?: boolean) => Promise<unknown>;

/** SCAN's batch: keys a round trip. */
const SCAN_COUNT = '500';

/** Redis answers for "not ready yet" while it loads its data after a restart. */
const NOT_READY = /^(LOADING|BUSY|MASTERDOWN)\b/;

export class RedisAdmin {
  readonly appHost: string;
  readonly appPort: number;
  readonly #options: RedisAdminOptions;

  constructor(options: RedisAdminOptions) {
    this.#options = options;
    this.appHost = options.appHost ?? 'redis';
    this.appPort = options.appPort ?? REDIS_PORT;
  }

  get #user(): string {
    return this.#options.user ?? REDIS_ADMIN_USER;
  }

  /** The app's ACL user and key prefix (`my-shop` -> `my_shop`, `my_shop:`); throws for an unusable name. */
  names(app: string): RedisAppNames {
    return redisNames(app, [this.#user]);
  }

  /** Creates the app's user, or re-defines it whole (password and rules): idempotent. */
  async ensure(app: string, password: Sensitive<string>): Promise<RedisAppNames> {
    const names = this.names(app);
    const args = redisSetUserArgs(names, password);
    await this.#session([password], async (send) => {
      await send('create the user', args.reveal());
      await send('save the users', ['ACL', 'SAVE']);
    });
    return names;
  }

  /**
   * A new password for an app's existing user (MC_REDIS if it has none), and its open
   * connections closed: they were opened with the old one.
   */
  async rekey(app: string, password: Sensitive<string>): Promise<RedisAppNames> {
    const names = this.names(app);
    const rule = redisPasswordRule(password);
    await this.#session([password, rule], async (send) => {
      if ((await send('look up the user', ['ACL', 'GETUSER', names.user])) === null) {
        throw new MinicloudError('MC_REDIS', `app ${app} has no Redis user ${names.user} to re-key`);
      }
      await send('set the password', ['ACL', 'SETUSER', names.user, 'resetpass', rule.reveal()]);
      await send('save the users', ['ACL', 'SAVE']);
      await send('close its connections', ['CLIENT', 'KILL', 'USER', names.user]);
    });
    return names;
  }

  /**
   * Deletes the app's user (Redis closes its connections with it), then every key under its
   * prefix. Absent ones are fine.
   */
  async drop(app: string): Promise<void> {
    const names = this.names(app);
    await this.#session([], async (send) => {
      await send('delete the user', ['ACL', 'DELUSER', names.user]);
      await send('save the users', ['ACL', 'SAVE']);
      for await (const keys of scan(send, names.prefix)) {
        if (keys.length > 0) await send('delete its keys', ['UNLINK', ...keys]);
      }
    });
  }

  /** Whether the app's user or any key under its prefix is there (kept by a remove, or left by a failed purge). */
  async exists(app: string): Promise<boolean> {
    const names = this.names(app);
    return this.#session([], async (send) => {
      if ((await send('look up the user', ['ACL', 'GETUSER', names.user])) !== null) return true;
      for await (const keys of scan(send, names.prefix)) if (keys.length > 0) return true;
      return false;
    });
  }

  /**
   * Whether any app's user or key is on the server (kept data included): the platform stops a
   * shared service no app needs only when this is false. The server's own users are `default`
   * and the admin; the platform keeps no keys of its own.
   */
  async holdsShares(): Promise<boolean> {
    return this.#session([], async (send) => {
      const users = (await send('list the users', ['ACL', 'USERS'])) as string[];
      if (users.some((user) => !(REDIS_RESERVED_USERS as readonly string[]).includes(user) && user !== this.#user))
        return true;
      return Number(await send('count the keys', ['DBSIZE'])) > 0;
    });
  }

  /** The server's version (redis_version in INFO server), for a backup's tools. */
  async version(): Promise<string> {
    return this.#session([], async (send) => serverVersion(await send('read the version', ['INFO', 'server'])));
  }

  /**
   * Writes the app's keys to `out` in the keys-file format (dump-format.ts), with
   * backpressure; resolves the number of keys. A key that expires or is deleted between
   * SCAN and DUMP is left out. Not retried as a whole once it has written: a server that
   * goes away half way fails the backup.
   */
  async dumpKeys(app: string, out: Writable): Promise<{ keys: number }> {
    const names = this.names(app);
    return this.#session(
      [],
      async (send) => {
        const server = serverVersion(await send('read the version', ['INFO', 'server']));
        await write(out, encodeDumpHeader({ prefix: names.prefix, server }));
        let count = 0;
        for await (const keys of scan(send, names.prefix)) {
          for (const key of keys) {
            const payload = await send('dump a key', ['DUMP', key], true);
            const at = await send('read its expiry', ['PEXPIRETIME', key]);
            if (!Buffer.isBuffer(payload) || typeof at !== 'number' || at === -2) continue; // gone meanwhile
            const record = { key: keyWithoutPrefix(key, names.prefix), payload };
            await write(out, encodeDumpRecord(at > 0 ? { ...record, expireAt: at } : record));
            count++;
          }
        }
        await write(out, encodeDumpTrailer(count));
        out.end();
        return { keys: count };
      },
      0,
    );
  }

  /**
   * Replaces the app's keys with those of a keys file: reads and checks the whole file first
   * (a file cut short or damaged changes nothing), then deletes every key under the app's
   * prefix and RESTOREs each one under it, with its absolute expiry (one already past is not
   * restored). The file's own prefix is not used: keys go to this app's. The file is held in
   * memory meanwhile: it is bounded by the server's maxmemory (32 MB). Resolves the header
   * and the number of keys restored.
   */
  async restoreKeys(app: string, input: Readable): Promise<{ header: RedisDumpHeader; keys: number }> {
    const names = this.names(app);
    const prefix = Buffer.from(names.prefix, 'utf8');
    let header: RedisDumpHeader | undefined;
    const records: RedisDumpRecord[] = [];
    for await (const item of parseRedisDump(createInterface({ input, crlfDelay: Infinity }))) {
      if ('key' in item) records.push(item);
      else header = item;
    }
    return this.#session([], async (send) => {
      for await (const keys of scan(send, names.prefix)) {
        if (keys.length > 0) await send('delete its keys', ['UNLINK', ...keys]);
      }
      let keys = 0;
      const now = Date.now();
      for (const r of records) {
        if (r.expireAt !== undefined && r.expireAt <= now) continue;
        const key = Buffer.concat([prefix, r.key]);
        const ttl = r.expireAt === undefined ? ['0'] : [String(r.expireAt), 'ABSTTL'];
        await send('restore a key', ['RESTORE', key, ttl[0]!, r.payload, 'REPLACE', ...ttl.slice(1)]);
        keys++;
      }
      return { header: header!, keys };
    });
  }

  get #server(): string {
    return `${this.#options.host}:${this.#options.port ?? REDIS_PORT}`;
  }

  /**
   * One admin connection; a server that cannot be reached (restarting, or loading its data)
   * is waited for, and the whole session tried again: each session is idempotent.
   */
  #session<T>(secrets: Sensitive<string>[], work: (send: Send) => Promise<T>, waitMs?: number): Promise<T> {
    const options = this.#options;
    const server: AdminServer<AdminClient> = {
      service: `Redis at ${this.#server}`,
      kind: 'Redis server',
      address: this.#server,
      user: this.#user,
      secrets: [options.password, ...secrets],
      code: 'MC_REDIS',
      // Unreachable, still loading its data, or a connection that timed out or dropped.
      unreachable: (error) => {
        const name = (error as { name?: string }).name;
        const notReady = error instanceof ErrorReply && NOT_READY.test(error.message);
        const timedOut = name === 'ConnectionTimeoutError' || name === 'SocketClosedUnexpectedlyError';
        return isUnreachable(error) || notReady || timedOut;
      },
      waitMs: waitMs ?? options.unavailableWaitMs,
      open: async () => {
        const client = adminClient(options, this.#user);
        // The client's own errors (a dropped socket) must not crash the process; calls reject.
        client.on('error', () => undefined);
        await client.connect();
        return client;
      },
      close: (client) => client.destroy(),
    };
    return withAdminConnection(server, (client, call) =>
      work((what, args, binary) =>
        call(what, () =>
          client.sendCommand(args, binary ? { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } : undefined),
        ),
      ),
    );
  }
}

/** The admin's client, no reconnecting (a session that loses it is tried again whole). */
function adminClient(options: RedisAdminOptions, username: string) {
  return createClient({
    socket: {
      host: options.host,
      port: options.port ?? REDIS_PORT,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      reconnectStrategy: false,
    },
    username,
    password: options.password.reveal(),
  });
}

type AdminClient = ReturnType<typeof adminClient>;

/** The keys under `prefix`, a SCAN batch at a time, as Buffers (keys are binary). */
async function* scan(send: Send, prefix: string): AsyncGenerator<Buffer[]> {
  let cursor = '0';
  do {
    const reply = (await send('list its keys', ['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_COUNT], true)) as [
      Buffer,
      Buffer[],
    ];
    cursor = reply[0].toString();
    yield reply[1];
  } while (cursor !== '0');
}

function serverVersion(info: unknown): string {
  const m = /^redis_version:(\S+)/m.exec(String(info));
  return m?.[1] ?? 'unknown';
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
