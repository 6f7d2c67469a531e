import t from 'tap';
import { inspect } from 'node:util';
import { Sensitive } from '@minicloud/core';

t.test('a Sensitive value never prints itself', async (t) => {
  const secret = new Sensitive('hunter2');
  t.equal(String(secret), '[redacted]');
  t.equal(`${secret}`, '[redacted]');
  t.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
  t.notMatch(inspect({ nested: { secret } }), /hunter2/);
  t.equal(secret.reveal(), 'hunter2');
});
