import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { MinicloudError } from '../../errors.js';
import { Sensitive } from '../../sensitive.js';

// PostgreSQL takes a role's password as a SCRAM-SHA-256 verifier (`PASSWORD 'SCRAM-SHA-256$...'`
// is stored as given): the plain text then never enters SQL text, the server's statement log
// or an error message, as nativePasswordHash does for MariaDB. The verifier is RFC 5802's
// StoredKey and ServerKey, in the text form PostgreSQL writes into pg_authid:
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>   (base64 each)

/** PostgreSQL's own iteration count (scram_iterations, fixed at 4096 before version 16). */
export const SCRAM_ITERATIONS = 4096;

/**
 * PostgreSQL runs a password through SASLprep (RFC 4013) before hashing it, and so does every
 * client; for printable ASCII that is the identity. Other text (accents, spaces of other
 * scripts, controls) would make this verifier depend on a normalisation the app's driver may
 * or may not apply, so it is refused: the platform's passwords are base64url.
 */
export function checkScramPassword(password: Sensitive<string>): void {
  const text = password.reveal();
  if (text === '') throw new MinicloudError('MC_POSTGRES', 'refusing an empty password');
  if (!/^[\x20-\x7e]+$/.test(text)) {
    throw new MinicloudError(
      'MC_POSTGRES',
      'a PostgreSQL password must be printable ASCII (the platform generates base64url)',
    );
  }
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** The SaltedPassword's two keys (RFC 5802 section 3), from which a verifier and a proof are made. */
export function scramKeys(
  password: Sensitive<string>,
  salt: Buffer,
  iterations: number,
): { storedKey: Buffer; serverKey: Buffer; clientKey: Buffer } {
  checkScramPassword(password);
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new MinicloudError('MC_POSTGRES', `SCRAM iterations ${iterations} is not a positive integer`);
  }
  const salted = pbkdf2Sync(Buffer.from(password.reveal(), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return {
    clientKey,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** The verifier PostgreSQL stores for `password`; a fresh random 16-byte salt unless one is given. */
export function scramSha256Verifier(
  password: Sensitive<string>,
  salt: Buffer = randomBytes(16),
  iterations = SCRAM_ITERATIONS,
): Sensitive<string> {
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  const b64 = (b: Buffer) => b.toString('base64');
  return new Sensitive(`SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`);
}
