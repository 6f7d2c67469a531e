import { readFile, rm } from 'node:fs/promises';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { EVENT_LEVELS, levelAtLeast, type EventLevel, type PlatformEvent } from './types.js';

// Notifications: each event at or above a level is POSTed as JSON to one webhook the operator
// configures for the platform. The body carries `text` (what Slack, Discord-compatible and
// ntfy-style endpoints show) and the event itself for anything that reads JSON. The URL often
// holds a secret (Slack's do), so it lives in the secrets dir and is never shown back whole.

export interface NotifySettings {
  url: Sensitive<string>;
  minLevel: EventLevel;
}

/** What the API shows of the settings: where to, never the path or query that may hold a key. */
export function describeNotify(settings: NotifySettings | undefined): { webhook: string | null; minLevel: EventLevel } {
  if (!settings) return { webhook: null, minLevel: 'warning' };
  const url = new URL(settings.url.reveal());
  return { webhook: `${url.protocol}//${url.host}/…`, minLevel: settings.minLevel };
}

export function checkWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MinicloudError('MC_SETTINGS_INVALID', 'the webhook is not a URL', [
      { path: 'webhook', message: 'must be an http or https URL' },
    ]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new MinicloudError('MC_SETTINGS_INVALID', `the webhook must be http or https, not ${url.protocol}`, [
      { path: 'webhook', message: 'must be an http or https URL' },
    ]);
  if (url.username || url.password)
    throw new MinicloudError('MC_SETTINGS_INVALID', 'the webhook URL must not carry a user name or password', [
      { path: 'webhook', message: 'must have no user:password@ part' },
    ]);
  return url;
}

export async function readNotifySettings(file: string): Promise<NotifySettings | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const raw = JSON.parse(text) as { url: string; minLevel?: EventLevel };
  return {
    url: new Sensitive(raw.url),
    minLevel: EVENT_LEVELS.includes(raw.minLevel as EventLevel) ? raw.minLevel! : 'warning',
  };
}

export async function writeNotifySettings(file: string, settings: NotifySettings | undefined): Promise<void> {
  if (!settings) return rm(file, { force: true });
  const body = { url: settings.url.reveal(), minLevel: settings.minLevel };
  await writeFileAtomic(file, `${JSON.stringify(body)}\n`, 0o600);
}

/** The JSON a webhook receives for one event. */
export function notificationBody(event: PlatformEvent, platform: string): Record<string, unknown> {
  const where = event.app ? ` [${event.app}]` : '';
  return {
    text: `minicloud ${platform}: ${event.level.toUpperCase()}${where} ${event.message}`,
    event,
  };
}

/** Sends one event if it is at or above the level; resolves whether it was sent. Never throws. */
export async function notify(
  settings: NotifySettings | undefined,
  event: PlatformEvent,
  platform: string,
  onError: (error: Error) => void = () => undefined,
): Promise<boolean> {
  if (!settings || !levelAtLeast(event.level, settings.minLevel)) return false;
  try {
    const res = await fetch(settings.url.reveal(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notificationBody(event, platform)),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
    return true;
  } catch (error) {
    // The message may hold the URL (fetch puts it in some errors): say only where to.
    const host = new URL(settings.url.reveal()).host;
    onError(
      new Error(`notification to ${host} failed: ${(error as Error).message.replaceAll(settings.url.reveal(), host)}`),
    );
    return false;
  }
}
