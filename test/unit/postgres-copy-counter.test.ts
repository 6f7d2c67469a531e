import t from 'tap';
import { CopyRowCounter, unquoteQualified } from '@minicloud/core';

// The postgres backup part counts each table's rows from pg_dump's COPY blocks as the dump
// streams by: the counts must not depend on where the stream is cut into chunks.

const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  'SET statement_timeout = 0;',
  'CREATE TABLE public.items (id integer, name text);',
  'COPY public.items (id, name) FROM stdin;',
  '1\tfirst',
  '2\twith a \\n newline and a tab \\t',
  '3\tCOPY public.fake (x) FROM stdin;',
  '\\.',
  '',
  'COPY public."Odd ""Name""" (x) FROM stdin;',
  '\\.',
  '',
  'COPY "shop.schema".ünïcode FROM stdin;',
  'x',
  '\\.',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
].join('\n');

async function count(text: string, size: number): Promise<CopyRowCounter> {
  const counter = new CopyRowCounter();
  const bytes = Buffer.from(text, 'utf8');
  const done = new Promise((resolve) => counter.on('finish', resolve));
  counter.resume();
  for (let i = 0; i < bytes.length; i += size) counter.write(bytes.subarray(i, i + size));
  counter.end();
  await done;
  return counter;
}

t.test('rows per table from COPY blocks, whatever the chunk size', async (t) => {
  for (const size of [1, 3, 7, 64, 100_000]) {
    const c = await count(DUMP, size);
    t.same(
      [...c.tables],
      [
        ['public.items', 3],
        ['public.Odd "Name"', 0],
        ['shop.schema.ünïcode', 1],
      ],
      `chunks of ${size}`,
    );
    t.ok(c.completed, 'the complete line was seen');
  }
});

t.test('a dump cut short is not complete', async (t) => {
  const c = await count(DUMP.slice(0, DUMP.indexOf('-- PostgreSQL database dump complete')), 5);
  t.notOk(c.completed);
});

t.test('identifiers are unquoted as pg_dump quotes them', async (t) => {
  t.equal(unquoteQualified('public.items'), 'public.items');
  t.equal(unquoteQualified('"My Schema"."a.b"'), 'My Schema.a.b');
  t.equal(unquoteQualified('public."say ""hi"""'), 'public.say "hi"');
});
