import t from 'tap';
import {
  byTime,
  durationToNanos,
  FrameReader,
  framedText,
  parseLogFrame,
  parseSince,
  readFrames,
} from '@minicloud/core';

// The Engine's log stream, as one parser reads it: frames split anywhere across chunks, lines
// with the swarm's attributes, and `--since` as people write it.

const frame = (stream: number, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

t.test('frames come out whole however the socket splits them, headers included', async (t) => {
  const all = Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n'), frame(1, 'three and more\n')]);
  for (let cut = 1; cut < all.length; cut++) {
    const reader = new FrameReader();
    const got = [...reader.push(all.subarray(0, cut)), ...reader.push(all.subarray(cut))];
    t.same(
      got.map((f) => [f.stream, f.payload.toString()]),
      [
        ['stdout', 'one\n'],
        ['stderr', 'two\n'],
        ['stdout', 'three and more\n'],
      ],
      `cut at ${cut}`,
    );
    t.equal(reader.buffered, 0);
  }
  const reader = new FrameReader();
  t.same(reader.push(frame(1, 'cut short').subarray(0, 10)), []);
  t.equal(reader.buffered, 10, 'an unfinished frame is held, not guessed at');
  t.equal(readFrames(Buffer.alloc(0)).length, 0);
});

t.test('framedText: stdout and stderr in order; a TTY stream (no frames) as it is', async (t) => {
  t.equal(framedText(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')])), 'a\nb\n');
  t.equal(framedText(Buffer.from('plain text\n')), 'plain text\n');
});

t.test('a log frame gives time, task, node and stream; a frame without attributes keeps its text', async (t) => {
  const text =
    '2026-11-26T16:34:06.473958052Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 GET / 200\n';
  t.same(parseLogFrame({ stream: 'stderr', payload: Buffer.from(text) }), [
    { time: '2026-11-26T16:34:06.473958052Z', nodeId: 'n1', taskId: 't1', stream: 'stderr', line: 'GET / 200' },
  ]);
  t.same(
    parseLogFrame({
      stream: 'stdout',
      payload: Buffer.from('2026-11-26T16:34:06Z com.docker.swarm.node.id=n1,com.docker.swarm.task.id=t1 \n'),
    }),
    [{ time: '2026-11-26T16:34:06Z', nodeId: 'n1', taskId: 't1', stream: 'stdout', line: '' }],
    'an empty line stays a line',
  );
  t.same(parseLogFrame({ stream: 'stdout', payload: Buffer.from('no stamp here\n') }), [
    { time: '', nodeId: '', taskId: '', stream: 'stdout', line: 'no stamp here' },
  ]);
  t.same(
    parseLogFrame({ stream: 'stdout', payload: Buffer.from('2026-11-26T16:34:06Z just a message with = signs\n') }),
    [{ time: '', nodeId: '', taskId: '', stream: 'stdout', line: '2026-11-26T16:34:06Z just a message with = signs' }],
    'a stamped line without the swarm attributes is not mistaken for one with them',
  );
});

t.test('byTime orders lines of several tasks as instants, whatever their fraction digits', async (t) => {
  const lines = [
    { time: '2026-11-26T16:34:06.5Z' },
    { time: '2026-11-26T16:34:06.473958052Z' },
    { time: '2026-11-26T16:34:05Z' },
  ];
  t.same(
    [...lines].sort(byTime).map((l) => l.time),
    ['2026-11-26T16:34:05Z', '2026-11-26T16:34:06.473958052Z', '2026-11-26T16:34:06.5Z'],
  );
});

t.test('since: durations back from now, days, RFC 3339 times; anything else is undefined', async (t) => {
  const now = new Date('2026-11-26T12:00:00Z');
  const at = (text: string) => parseSince(text, now, durationToNanos)?.toISOString();
  t.equal(at('90s'), '2026-11-26T11:58:30.000Z');
  t.equal(at('10m'), '2026-11-26T11:50:00.000Z');
  t.equal(at('1h30m'), '2026-11-26T10:30:00.000Z');
  t.equal(at('3d'), '2026-11-23T12:00:00.000Z');
  t.equal(at('2026-11-26T10:00:00Z'), '2026-11-26T10:00:00.000Z');
  for (const bad of ['yesterday', '', '10', '-5m', '0', '2026-13-45T99:00:00Z', '10 m'])
    t.equal(at(bad), undefined, `"${bad}" is refused`);
});
