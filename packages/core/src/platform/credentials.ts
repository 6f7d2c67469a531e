import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { Sensitive } from '../sensitive.js';

// Generated secrets and the registry's htpasswd file. bcryptjs rather than a native bcrypt:
// the registry only accepts bcrypt entries, and a pure-JavaScript implementation installs
// without a compiler or prebuilt binary, so the API image stays a plain `npm ci --omit=dev`.

/** A random secret of URL-, shell- and YAML-safe characters (base64url). */
export function generateSecret(bytes = 24): Sensitive<string> {
  return new Sensitive(randomBytes(bytes).toString('base64url'));
}

/** One `user:$2b$...` line; cost 10 keeps each registry login check at a few milliseconds. */
export function htpasswdLine(user: string, password: Sensitive<string>, rounds = 10): string {
  return `${user}:${bcrypt.hashSync(password.reveal(), rounds)}`;
}

/** Whether an htpasswd text has a line for user that password matches. */
export function htpasswdMatches(text: string, user: string, password: Sensitive<string>): boolean {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.slice(0, colon) !== user) continue;
    try {
      if (bcrypt.compareSync(password.reveal(), line.slice(colon + 1).trim())) return true;
    } catch {
      // not a bcrypt hash: no match
    }
  }
  return false;
}
