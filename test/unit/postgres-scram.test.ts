import t from 'tap';
import { createHash, createHmac } from 'node:crypto';
import { isMinicloudError, scramKeys, scramSha256Verifier, Sensitive } from '@minicloud/core';

// The verifier PostgreSQL stores for a password, computed here so that the plain text never
// reaches the server's SQL. Two independent references: RFC 7677's SCRAM-SHA-256 exchange,
// and a verifier PostgreSQL 15 itself wrote into pg_authid.

t.test("RFC 7677's example: the keys give its client proof and server signature", async (t) => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const { clientKey, storedKey, serverKey } = scramKeys(new Sensitive('pencil'), salt, 4096);
  const authMessage =
    'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  t.equal(proof.toString('base64'), 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'p= of client-final-message');
  t.equal(
    createHmac('sha256', serverKey).update(authMessage).digest('base64'),
    '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    'v= of server-final-message',
  );
  t.same(storedKey, createHash('sha256').update(clientKey).digest());
});

t.test('the text form PostgreSQL 15 stored for a password, from its salt', async (t) => {
  // CREATE ROLE vec PASSWORD 'correct horse battery staple'; SELECT rolpassword FROM pg_authid
  const stored =
    'SCRAM-SHA-256$4096:oZiV/XaKV67E9+tIopSdWg==$J8n75H+AJrRuAW/jLsKT1OljacGMb3FOyWfTCyxt6ZE=:T2S3QeTwZTbQbxisrkJGi61MtypBLCHPU15w3UasMbc=';
  const salt = Buffer.from('oZiV/XaKV67E9+tIopSdWg==', 'base64');
  t.equal(scramSha256Verifier(new Sensitive('correct horse battery staple'), salt).reveal(), stored);
  t.not(scramSha256Verifier(new Sensitive('correct horse battery stapl'), salt).reveal(), stored);
});

t.test('a fresh salt each time; the verifier never shows the password, and prints redacted', async (t) => {
  const pw = new Sensitive('Ab1\'"`;--x');
  const a = scramSha256Verifier(pw);
  const b = scramSha256Verifier(pw);
  t.not(a.reveal(), b.reveal());
  t.match(a.reveal(), /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  t.notMatch(a.reveal(), pw.reveal());
  t.equal(String(a), '[redacted]');
  t.equal(JSON.stringify({ a }), '{"a":"[redacted]"}');
});

t.test('passwords SASLprep would change, and empty ones, are refused without being shown', async (t) => {
  for (const text of ['', 'pé-Secret-1', 'tab\there', 'nbsp\u00a0x']) {
    try {
      scramSha256Verifier(new Sensitive(text));
      t.fail(`accepted ${JSON.stringify(text)}`);
    } catch (error) {
      t.ok(isMinicloudError(error) && error.code === 'MC_POSTGRES', JSON.stringify(text));
      if (text !== '') t.notMatch((error as Error).message, text);
    }
  }
  t.throws(() => scramSha256Verifier(new Sensitive('fine-Password-1'), Buffer.alloc(16), 0), { code: 'MC_POSTGRES' });
});
