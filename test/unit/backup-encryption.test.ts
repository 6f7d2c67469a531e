import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import {
  acmeAccountKeyFile,
  CertificateStore,
  createCa,
  ensureAccountKey,
  backupContext,
  createPlatformBackup,
  DecryptStream,
  EncryptStream,
  extractPlatformBackup,
  generateBackupKey,
  PLATFORM_BACKUP_KEY,
  readBackupKey,
  Sensitive,
} from '@minicloud/core';

// The platform's secrets are encrypted with a key only the operator keeps (AES-256-GCM,
// key from the passphrase by scrypt, random salt and IV in the authenticated header).

const KEY = new Sensitive('correct horse battery staple');
const WRONG = new Sensitive('correct horse battery stapler');

async function through(data: Buffer, stage: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  // Small chunks, so every boundary case (header split, tag split) happens somewhere.
  const chunks = Array.from({ length: Math.ceil(data.length / 1000) }, (_, i) =>
    data.subarray(i * 1000, (i + 1) * 1000),
  );
  await pipeline(
    Readable.from(chunks),
    stage,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

t.test('encrypt then decrypt gives back the bytes; the ciphertext hides them', async (t) => {
  for (const size of [0, 1, 16, 17, 1000, 123_457]) {
    const plain = randomBytes(size);
    const sealed = await through(plain, new EncryptStream(KEY));
    t.equal(sealed.length, size + 39 + 16, `${size} bytes: header + ciphertext + tag`);
    t.same(await through(sealed, new DecryptStream(KEY)), plain, `${size} bytes round trip`);
  }
  const text = Buffer.from('mariadb-root-password=hunter2-hunter2-hunter2\n'.repeat(50));
  const sealed = await through(text, new EncryptStream(KEY));
  t.equal(sealed.indexOf('hunter2'), -1, 'no plaintext in the ciphertext');
  const again = await through(text, new EncryptStream(KEY));
  t.not(sealed.toString('hex'), again.toString('hex'), 'a fresh salt and IV each time');
});

t.test('a wrong key or any changed byte fails; nothing is trusted before the end', async (t) => {
  const plain = randomBytes(5000);
  const sealed = await through(plain, new EncryptStream(KEY));
  t.rejects(
    through(sealed, new DecryptStream(WRONG)),
    { code: 'MC_BACKUP_KEY', message: /backup key is wrong/ },
    'wrong key',
  );
  for (const [what, at] of [
    ['header (salt)', 20],
    ['ciphertext', 2000],
    ['tag', sealed.length - 3],
  ] as const) {
    const bad = Buffer.from(sealed);
    bad[at] = bad[at]! ^ 0x01;
    await t.rejects(through(bad, new DecryptStream(KEY)), { code: 'MC_BACKUP_KEY' }, `a changed byte in the ${what}`);
  }
  const magic = Buffer.from(sealed);
  magic[0] = 0x58;
  await t.rejects(through(magic, new DecryptStream(KEY)), { code: 'MC_BACKUP_DAMAGED' }, 'not our format');
  await t.rejects(through(sealed.subarray(0, 30), new DecryptStream(KEY)), {
    code: 'MC_BACKUP_DAMAGED',
    message: /truncated/,
  });
});

t.test('key files: generated 0600, never overwritten; short passphrases refused', async (t) => {
  const dir = t.testdir({ short: 'abc\n', good: 'a long enough passphrase\n' });
  const file = join(dir, 'backup.key');
  await generateBackupKey(file);
  t.equal((statSync(file).mode & 0o777).toString(8), '600');
  t.ok((await readBackupKey(file)).reveal().length >= 40);
  await t.rejects(generateBackupKey(file), { code: 'MC_BACKUP_KEY' }, 'an existing key file is never replaced');
  t.equal(
    (await readBackupKey(join(dir, 'good'))).reveal(),
    'a long enough passphrase',
    'the trailing newline is not part of it',
  );
  await t.rejects(readBackupKey(join(dir, 'short')), { code: 'MC_BACKUP_KEY', message: /shorter/ });
  await t.rejects(readBackupKey(join(dir, 'missing')), { code: 'MC_BACKUP_KEY', message: /ENOENT/ });
});

t.test('platform backup: config in clear, secrets encrypted; extract needs the key', async (t) => {
  const data = t.testdir({});
  const config = join(data, 'config');
  const secrets = join(data, 'secrets');
  mkdirSync(join(config, 'apps/shop'), { recursive: true });
  mkdirSync(join(secrets, 'apps'), { recursive: true, mode: 0o700 });
  writeFileSync(join(config, 'platform.json'), '{"domain":"example.com"}\n');
  writeFileSync(join(config, 'apps/shop/app.json'), '{"name":"shop"}\n');
  writeFileSync(join(secrets, 'mariadb-root-password'), 'super-secret-root-pw', { mode: 0o600 });
  writeFileSync(join(secrets, 'apps/shop.env'), 'DATABASE_URL=mysql://shop:pw@mariadb/shop\n', { mode: 0o600 });
  const ctx = await backupContext(data, { docker: {} as Docker });

  const entry = await createPlatformBackup(ctx, { passphrase: KEY });
  t.equal(entry.app, PLATFORM_BACKUP_KEY);
  t.match(entry.manifest, {
    kind: 'platform',
    parts: [
      { name: 'config', file: 'config.tar.gz', files: 2 },
      { name: 'secrets', file: 'secrets.tar.gz.enc', files: 2, encrypted: true },
    ],
  });
  const sealed = readFileSync(join(entry.dir, 'secrets.tar.gz.enc'));
  t.equal(sealed.indexOf('super-secret'), -1, 'the secrets file is not readable without the key');

  const wrong = join(data, 'restore-wrong');
  await t.rejects(extractPlatformBackup(ctx, entry.id, wrong, WRONG), { code: 'MC_BACKUP_KEY' });
  t.notOk(existsSync(join(wrong, 'secrets')), 'a wrong key leaves no secrets behind');

  const into = join(data, 'restore');
  const out = await extractPlatformBackup(ctx, entry.id, into, KEY);
  t.equal(readFileSync(join(out.secrets, 'mariadb-root-password'), 'utf8'), 'super-secret-root-pw');
  t.equal(readFileSync(join(out.secrets, 'apps/shop.env'), 'utf8'), 'DATABASE_URL=mysql://shop:pw@mariadb/shop\n');
  t.equal((statSync(join(out.secrets, 'mariadb-root-password')).mode & 0o777).toString(8), '600', 'modes kept');
  t.equal(readFileSync(join(out.config, 'apps/shop/app.json'), 'utf8'), '{"name":"shop"}\n');
  await t.rejects(
    extractPlatformBackup(ctx, entry.id, into, KEY),
    { code: 'MC_BACKUP', message: /not empty/ },
    'never over an existing directory',
  );

  const sealedPath = join(entry.dir, 'secrets.tar.gz.enc');
  const altered = Buffer.from(sealed);
  altered[altered.length - 40] = altered[altered.length - 40]! ^ 0x10;
  writeFileSync(sealedPath, altered);
  await t.rejects(extractPlatformBackup(ctx, entry.id, join(data, 'restore-altered'), KEY), {
    code: 'MC_BACKUP_DAMAGED',
    message: /part secrets/,
  });
});

t.test('platform backup holds the ACME account key and the issued certificates (issue 12)', async (t) => {
  const data = t.testdir({});
  mkdirSync(join(data, 'config'), { recursive: true });
  writeFileSync(join(data, 'config', 'platform.json'), '{}\n');
  const secrets = join(data, 'secrets');
  const accountKey = await ensureAccountKey(acmeAccountKeyFile(data));
  const store = new CertificateStore(join(secrets, 'certs'), async () => createCa());
  const issued = await store.get('shop.example.com');
  await store.saveState('shop.example.com', { issuer: 'acme', failures: 0, orders: 1 });
  const ctx = await backupContext(data, { docker: {} as Docker });
  const entry = await createPlatformBackup(ctx, { passphrase: KEY });
  const out = await extractPlatformBackup(ctx, entry.id, join(data, 'restore'), KEY);
  t.equal(readFileSync(join(out.secrets, 'acme/account.key'), 'utf8'), accountKey.reveal(), 'the account key');
  t.equal(readFileSync(join(out.secrets, 'certs/shop.example.com/tls.crt'), 'utf8'), issued.certificatePem);
  t.equal(readFileSync(join(out.secrets, 'certs/shop.example.com/tls.key'), 'utf8'), issued.privateKeyPem.reveal());
  t.match(JSON.parse(readFileSync(join(out.secrets, 'certs/shop.example.com/state.json'), 'utf8')), {
    issuer: 'acme',
    orders: 1,
  });
});
