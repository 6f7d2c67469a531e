import { MinicloudError } from '../errors.js';
import { APP_NAME_MAX } from '../manifest/limits.js';

// What an app's database, user, vhost and storage directory are called. The app name reaches
// SQL identifiers, management-API URLs and file paths, so it is checked against the manifest's
// DNS-label rule here, before any of them is built: a quote, a backtick, a semicolon, a slash
// or a dot never gets that far.

const APP = new RegExp(`^[a-z]([a-z0-9-]{0,${APP_NAME_MAX - 2}}[a-z0-9])?$`);

/** Throws MC_APP_NAME_INVALID unless `app` is a valid app name (a DNS label of at most 40). */
export function checkAppName(app: string): string {
  if (typeof app !== 'string' || !APP.test(app)) {
    // JSON.stringify: the rejected text is shown quoted and escaped, never raw.
    throw new MinicloudError(
      'MC_APP_NAME_INVALID',
      `app name ${JSON.stringify(app)} must be a DNS label: lowercase letters, digits and hyphens, starting with a letter, at most ${APP_NAME_MAX} characters`,
    );
  }
  return app;
}

/**
 * The database, user and vhost name of an app: its name with `-` as `_` (MariaDB identifiers
 * and RabbitMQ names then need no escaping in tools and URLs). The mapping is one-to-one because
 * app names have no `_`. Names the server already uses for itself (`mysql`, `root`, the admin
 * user, ...) are refused: granting an app `mysql.*` or re-keying `root` would hand it the server.
 */
export function provisionName(app: string, reserved: readonly string[]): string {
  const name = checkAppName(app).replaceAll('-', '_');
  if (reserved.includes(name)) {
    throw new MinicloudError('MC_APP_NAME_INVALID', `app name "${app}" would take over the server's own "${name}"`);
  }
  return name;
}

/** The app whose provision name `name` is (`my_shop` -> `my-shop`), or undefined if no app's can be. */
export function appOfProvisionName(name: string, reserved: readonly string[]): string | undefined {
  const app = name.replaceAll('_', '-');
  try {
    return provisionName(app, reserved) === name ? app : undefined;
  } catch {
    return undefined;
  }
}

/** A MariaDB identifier in backticks. Names are validated first; quoting is the second wall. */
export function sqlIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
