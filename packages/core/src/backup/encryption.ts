import { createCipheriv, createDecipheriv, randomBytes, scrypt, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { MinicloudError } from '../errors.js';
import { Sensitive } from '../sensitive.js';

// The platform secrets in a backup are encrypted with a key only the operator keeps: a
// passphrase file, stretched with scrypt. The derived key is never stored; the random salt
// and IV (and the scrypt cost) are in the part's header, which is authenticated as well.
//
//   "MCBKENC1" | log2(N) r p (1 byte each) | salt (16) | iv (12) | AES-256-GCM ciphertext | tag (16)
//
// GCM authenticates at the end: a decrypting stream has emitted plaintext before it knows the
// tag is right, so its output is only to be used once the stream finished without error
// (restore extracts into a fresh directory and keeps it only then).

const MAGIC = Buffer.from('MCBKENC1', 'latin1');
const HEADER = MAGIC.length + 3 + 16 + 12;
const TAG = 16;
const LOG_N = 15;
const R = 8;
const P = 1;
const MIN_PASSPHRASE = 12;

function deriveKey(passphrase: Sensitive<string>, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase.reveal(), salt, 32, { N: 2 ** logN, r, p, maxmem: 256 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Reads the operator's passphrase file (trailing newlines dropped); throws MC_BACKUP_KEY. */
export async function readBackupKey(file: string): Promise<Sensitive<string>> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new MinicloudError(
      'MC_BACKUP_KEY',
      `cannot read the backup key file ${file}: ${error.code ?? error.message}`,
    );
  });
  const passphrase = text.replace(/[\r\n]+$/, '');
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new MinicloudError('MC_BACKUP_KEY', `the backup key in ${file} is shorter than ${MIN_PASSPHRASE} characters`);
  }
  return new Sensitive(passphrase);
}

/** Writes a new random passphrase file (0600) and refuses to overwrite one. */
export async function generateBackupKey(file: string): Promise<void> {
  await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new MinicloudError('MC_BACKUP_KEY', `cannot create ${file}: ${error.code ?? error.message}`);
    },
  );
}

/** Encrypts what flows through it; the header goes first, the tag last. */
export class EncryptStream extends Transform {
  private cipher: CipherGCM | undefined;

  constructor(private readonly passphrase: Sensitive<string>) {
    super();
  }

  private async start(): Promise<void> {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const header = Buffer.concat([MAGIC, Buffer.from([LOG_N, R, P]), salt, iv]);
    const key = await deriveKey(this.passphrase, salt, LOG_N, R, P);
    this.cipher = createCipheriv('aes-256-gcm', key, iv);
    this.cipher.setAAD(header);
    this.push(header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const ready = this.cipher ? Promise.resolve() : this.start();
    ready.then(() => callback(null, this.cipher!.update(chunk)), callback);
  }

  override _flush(callback: TransformCallback): void {
    const ready = this.cipher ? Promise.resolve() : this.start();
    ready.then(() => {
      this.push(this.cipher!.final());
      callback(null, this.cipher!.getAuthTag());
    }, callback);
  }
}

/** Decrypts an EncryptStream's output; fails with MC_BACKUP_KEY on a wrong key or any change. */
export class DecryptStream extends Transform {
  private decipher: DecipherGCM | undefined;
  private pending = Buffer.alloc(0);

  constructor(private readonly passphrase: Sensitive<string>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    this.step().then(() => callback(), callback);
  }

  private async step(): Promise<void> {
    if (!this.decipher) {
      if (this.pending.length < HEADER) return;
      const header = this.pending.subarray(0, HEADER);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new MinicloudError('MC_BACKUP_DAMAGED', 'the encrypted part does not start with the minicloud header');
      }
      const [logN, r, p] = [header[8]!, header[9]!, header[10]!];
      if (logN < 10 || logN > 22 || r < 1 || r > 32 || p < 1 || p > 16) {
        throw new MinicloudError('MC_BACKUP_DAMAGED', 'the encrypted part has an impossible key-stretching setting');
      }
      const salt = header.subarray(11, 27);
      const iv = header.subarray(27, HEADER);
      const key = await deriveKey(this.passphrase, salt, logN, r, p);
      this.decipher = createDecipheriv('aes-256-gcm', key, iv);
      this.decipher.setAAD(Buffer.from(header));
      this.pending = this.pending.subarray(HEADER);
    }
    // The last 16 bytes may be the tag: hold them back until the end.
    if (this.pending.length > TAG) {
      const body = this.pending.subarray(0, this.pending.length - TAG);
      this.pending = Buffer.from(this.pending.subarray(this.pending.length - TAG));
      this.push(this.decipher.update(body));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.decipher || this.pending.length !== TAG) {
      callback(new MinicloudError('MC_BACKUP_DAMAGED', 'the encrypted part is truncated'));
      return;
    }
    try {
      this.decipher.setAuthTag(this.pending);
      callback(null, this.decipher.final());
    } catch {
      callback(
        new MinicloudError(
          'MC_BACKUP_KEY',
          'the secrets could not be decrypted: the backup key is wrong, or the part was changed',
        ),
      );
    }
  }
}
