import { createHash } from 'node:crypto';
import { MinicloudError } from '../../errors.js';
import { Sensitive } from '../../sensitive.js';
import { provisionName } from '../../provision/names.js';

// One shared Redis: per app an ACL user named like its MariaDB user (`my-shop` -> `my_shop`)
// whose keys and channels all start with its prefix (`my_shop:`), and whose commands are the
// data commands of every type minus those that reach beyond its own keys. Checked against
// Redis 7.0 (Debian bookworm) and 7.2 (the hub image); the test/engine/provision-redis test
// tries each refusal on a real server.
//
// What ACL key patterns cannot confine, because the command takes no key to check, is taken
// away by name: KEYS, SCAN, RANDOMKEY and DBSIZE (they list or count everyone's keys; an app
// uses HSCAN/SSCAN/ZSCAN on its own keys, or keeps its own index), FLUSHALL, FLUSHDB, SWAPDB,
// SELECT and MOVE (another database would hold keys that drop and backup never see; the
// server has one database anyway), PUBSUB (lists everyone's channels), FUNCTION/FCALL (the
// function library is one for the server: an app could replace the code another app calls,
// which then runs with that app's rights), SCRIPT FLUSH/KILL/DEBUG (they act on everyone's
// scripts), CLIENT TRACKING/CACHING (BCAST tracking of a prefix tells key names the ACL does
// not cover). EVAL stays: a script runs with its caller's rights, key by key. INFO stays too:
// client libraries (BullMQ, Sidekiq) read the server version and memory policy from it, and
// it holds counts, not keys or values. SORT stays: Redis refuses its BY and GET patterns to a
// user without access to every key.

/** The server's own users: an app named after one must not take it over. */
export const REDIS_RESERVED_USERS = ['default'] as const;

/** The categories an app may use, before the denials below. */
export const REDIS_APP_CATEGORIES = [
  'read',
  'write',
  'keyspace',
  'string',
  'hash',
  'list',
  'set',
  'sortedset',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'transaction',
  'scripting',
  'connection',
] as const;

/** Taken back from the categories above (subcommands as `command|sub`). */
export const REDIS_APP_DENIED = [
  'keys',
  'scan',
  'randomkey',
  'dbsize',
  'flushall',
  'flushdb',
  'swapdb',
  'select',
  'move',
  'migrate',
  'restore',
  'pubsub',
  'function',
  'fcall',
  'fcall_ro',
  'script|flush',
  'script|kill',
  'script|debug',
  'client|tracking',
  'client|caching',
  'client|kill',
  'client|list',
  'client|pause',
  'client|unpause',
  'client|unblock',
  'client|no-evict',
] as const;

/** Outside those categories, or in @dangerous, and safe for an app (see above). */
export const REDIS_APP_ALLOWED = ['info', 'sort', 'sort_ro'] as const;

export interface RedisAppNames {
  /** The ACL user (`my_shop`). */
  user: string;
  /** What every key and channel of the app starts with (`my_shop:`). */
  prefix: string;
}

/**
 * The app's user and key prefix. The provision name has only [a-z0-9_]: no glob character
 * (`* ? [ ] \`) and no space, so it goes into an ACL pattern and a rule as it is.
 */
export function redisNames(app: string, reserved: readonly string[] = []): RedisAppNames {
  const user = provisionName(app, [...REDIS_RESERVED_USERS, ...reserved]);
  return { user, prefix: `${user}:` };
}

/**
 * The ACL rules of an app's user after `reset` (which clears its password, keys, channels
 * and commands and turns it off), without its password: its own keys and channels, the
 * data commands, then the denials. The order matters: a later rule overrides an earlier.
 */
export function redisAppAclRules(prefix: string): string[] {
  if (!/^[a-z][a-z0-9_]*:$/.test(prefix)) {
    throw new MinicloudError('MC_REDIS', `the key prefix ${JSON.stringify(prefix)} is not an app's prefix`);
  }
  return [
    `~${prefix}*`,
    'resetchannels',
    `&${prefix}*`,
    '-@all',
    ...REDIS_APP_CATEGORIES.map((c) => `+@${c}`),
    '-@admin',
    '-@dangerous',
    ...REDIS_APP_ALLOWED.map((c) => `+${c}`),
    ...REDIS_APP_DENIED.map((c) => `-${c}`),
  ];
}

/**
 * A password as the ACL stores it, `#` and its SHA-256 in hex: the plain text is never in a
 * command, the server's ACL file or ACL LIST.
 */
export function redisPasswordRule(password: Sensitive<string>): Sensitive<string> {
  const plain = password.reveal();
  if (plain === '') throw new MinicloudError('MC_REDIS', 'refusing an empty password');
  return new Sensitive(`#${createHash('sha256').update(plain, 'utf8').digest('hex')}`);
}

/**
 * The whole ACL SETUSER of an app: reset, then its password and rules, then `on` last (one
 * command is applied whole or not at all: the user is never on with half its rules).
 */
export function redisSetUserArgs(names: RedisAppNames, password: Sensitive<string>): Sensitive<string[]> {
  return new Sensitive([
    'ACL',
    'SETUSER',
    names.user,
    'reset',
    redisPasswordRule(password).reveal(),
    ...redisAppAclRules(names.prefix),
    'on',
  ]);
}
