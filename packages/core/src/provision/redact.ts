import type { Sensitive } from '../sensitive.js';

/**
 * Replaces every occurrence of each secret in a message with `[redacted]`. Error texts built
 * here never include a secret on purpose; this is the second wall, for a server or library
 * that echoes what it was sent (a syntax error "near '...'", a URL with credentials).
 */
export function redact(message: string, secrets: readonly Sensitive<string>[]): string {
  let out = message;
  for (const secret of secrets) {
    const text = secret.reveal();
    // Short values would blank out ordinary words; the platform's secrets are long.
    if (text.length >= 4) out = out.split(text).join('[redacted]');
  }
  return out;
}
