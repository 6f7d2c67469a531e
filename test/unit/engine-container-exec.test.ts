import { Duplex, Readable, Writable } from 'node:stream';
import t from 'tap';
import type Docker from 'dockerode';
import { ExecDemux, execInContainer, runningServiceContainer } from '@minicloud/core';

// The one exec of a command in a running container (backups, the proxy's reload, the registry's
// garbage-collect): the Engine's multiplexed stream split into stdout and stderr, whatever the
// socket's chunking, and the exit code read once the stream ends.

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const WIRE = Buffer.concat([frame(1, 'hello '), frame(2, 'warn: x\n'), frame(1, 'world'), frame(2, 'done\n')]);

function chunked(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  return chunks;
}

async function demuxed(chunks: Buffer[], demux: ExecDemux): Promise<string> {
  const out: Buffer[] = [];
  demux.on('data', (chunk: Buffer) => out.push(chunk));
  for (const chunk of chunks) demux.write(chunk);
  demux.end();
  await new Promise((resolve) => demux.on('end', resolve));
  return Buffer.concat(out).toString();
}

t.test('ExecDemux: stdout passes through, stderr is kept apart, frames split anywhere', async (t) => {
  for (const size of [1, 3, 8, 9, WIRE.length]) {
    const demux = new ExecDemux();
    t.equal(await demuxed(chunked(WIRE, size), demux), 'hello world', `stdout, chunks of ${size}`);
    t.equal(demux.stderr(), 'warn: x\ndone\n', `stderr, chunks of ${size}`);
  }
});

t.test('ExecDemux with mergeStderr: both streams in the order written (2>&1)', async (t) => {
  for (const size of [1, 5, WIRE.length]) {
    const demux = new ExecDemux({ mergeStderr: true });
    t.equal(await demuxed(chunked(WIRE, size), demux), 'hello warn: x\nworlddone\n', `chunks of ${size}`);
    t.equal(demux.stderr(), '');
  }
});

t.test('ExecDemux keeps only the last stderrLimit bytes of stderr', async (t) => {
  const demux = new ExecDemux({ stderrLimit: 14 });
  const wire = Buffer.concat([frame(2, 'first line\n'), frame(2, 'second\n'), frame(2, 'third\n')]);
  await demuxed([wire], demux);
  t.equal(demux.stderr(), 'second\nthird\n', 'older chunks dropped once over the limit');
});

interface FakeExec {
  docker: Docker;
  created: Record<string, unknown>[];
  started: Record<string, unknown>[];
  stdinReceived: () => string;
}

/** A Docker whose one container's exec answers with `chunks` and then reports `exitCode`. */
function fakeDocker(chunks: Buffer[], exitCode: number, options: { runningPolls?: number } = {}): FakeExec {
  const created: Record<string, unknown>[] = [];
  const started: Record<string, unknown>[] = [];
  const stdin: Buffer[] = [];
  let polls = options.runningPolls ?? 0;
  const exec = {
    start: async (opts: Record<string, unknown>) => {
      started.push(opts);
      if (opts.stdin) {
        // A hijacked socket: what is written is the command's stdin; it answers once that ends.
        return new Duplex({
          write(chunk: Buffer, _encoding, callback) {
            stdin.push(chunk);
            callback();
          },
          final(callback) {
            for (const chunk of chunks) this.push(chunk);
            this.push(null);
            callback();
          },
          read() {},
        });
      }
      return Readable.from(chunks);
    },
    inspect: async () => (polls-- > 0 ? { Running: true, ExitCode: null } : { Running: false, ExitCode: exitCode }),
  };
  const docker = {
    getContainer: () => ({
      exec: async (opts: Record<string, unknown>) => {
        created.push(opts);
        return exec;
      },
    }),
    listContainers: async (opts: { filters: { label: string[] } }) =>
      opts.filters.label[0] === 'com.docker.swarm.service.name=minicloud_mariadb' ? [{ Id: 'abc123' }] : [],
  } as unknown as Docker;
  return { docker, created, started, stdinReceived: () => Buffer.concat(stdin).toString() };
}

t.test('execInContainer: stdout and stderr apart, the exit code, frames split across chunks', async (t) => {
  for (const size of [1, 7, WIRE.length]) {
    const fake = fakeDocker(chunked(WIRE, size), 3, { runningPolls: 1 });
    const result = await execInContainer(fake.docker, 'container-id', { cmd: ['sh', '-c', 'x'], user: 'postgres' });
    t.same(result, { exitCode: 3, stdout: 'hello world', stderr: 'warn: x\ndone\n' }, `chunks of ${size}`);
    t.match(fake.created[0], {
      Cmd: ['sh', '-c', 'x'],
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: 'postgres',
    });
  }
});

t.test('execInContainer with mergeStderr gives the output as one text', async (t) => {
  const fake = fakeDocker(chunked(WIRE, 4), 1);
  const result = await execInContainer(fake.docker, 'container-id', {
    cmd: ['nginx', '-s', 'reload'],
    mergeStderr: true,
  });
  t.same(result, { exitCode: 1, stdout: 'hello warn: x\nworlddone\n', stderr: '' });
});

t.test('execInContainer streams stdout to a sink and feeds stdin', async (t) => {
  const fake = fakeDocker([frame(1, 'loaded'), frame(2, 'note\n')], 0);
  const sunk: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sunk.push(chunk);
      callback();
    },
  });
  const result = await execInContainer(fake.docker, 'container-id', {
    cmd: ['mysql'],
    env: ['MYSQL_PWD=x'],
    stdin: Readable.from([Buffer.from('SELECT 1;')]),
    stdout: sink,
  });
  t.same(result, { exitCode: 0, stdout: '', stderr: 'note\n' }, 'stdout went to the sink, not the result');
  t.equal(Buffer.concat(sunk).toString(), 'loaded');
  t.equal(fake.stdinReceived(), 'SELECT 1;');
  t.match(fake.created[0], { AttachStdin: true, Env: ['MYSQL_PWD=x'] });
  t.same(fake.started[0], { hijack: true, stdin: true });
});

t.test('execInContainer refuses collected stdout over maxStdout', async (t) => {
  const fake = fakeDocker([frame(1, 'x'.repeat(100))], 0);
  await t.rejects(execInContainer(fake.docker, 'container-id', { cmd: ['cat'], maxStdout: 10 }), /more than 10 bytes/);
});

t.test('execInContainer: an exec the engine refuses is MC_ENGINE naming the container', async (t) => {
  const docker = {
    getContainer: () => ({
      exec: async () => {
        throw Object.assign(new Error('(HTTP code 409) container is not running'), {
          statusCode: 409,
          json: { message: 'container abc is not running' },
        });
      },
    }),
  } as unknown as Docker;
  await t.rejects(execInContainer(docker, '0123456789abcdef', { cmd: ['true'] }), {
    code: 'MC_ENGINE',
    message: /exec in container 0123456789ab/,
  });
});

t.test('runningServiceContainer: the running task of a service, or undefined', async (t) => {
  const { docker } = fakeDocker([], 0);
  t.equal(await runningServiceContainer(docker, 'minicloud_mariadb'), 'abc123');
  t.equal(await runningServiceContainer(docker, 'minicloud_nothing'), undefined);
});
