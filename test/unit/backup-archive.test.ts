import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { extractArchive, packDirectory, swapContents } from '@minicloud/core';
import { deletionSwapper, fifoSwapper, symlinkSwapper, tarEntries, type TarEntry } from '../helpers/hostile-storage.js';

// The storage archiver against a hostile app: the app owns its storage directory (bind-mounted
// at /data) and can swap any entry for a symlink while a backup runs (issue 11, item 3).

/** The tar stream of `dir` in memory. */
async function packed(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await packDirectory(dir, sink);
  return Buffer.concat(chunks);
}

/** The entries of a tar stream in memory. */
function entries(archive: Buffer): Promise<TarEntry[]> {
  return tarEntries(Readable.from([archive]));
}

t.test('symlinks are archived as links, never followed', async (t) => {
  const root = t.testdir({
    outside: { 'secret.key': 'SECRET FILE\n', dir: { 'inner.txt': 'SECRET DIR\n' } },
    storage: { shop: { 'own.txt': 'own\n', sub: { 'deep.txt': 'deep\n' } } },
  });
  const storage = join(root, 'storage/shop');
  symlinkSync(join(root, 'outside/secret.key'), join(storage, 'key'));
  symlinkSync(join(root, 'outside/dir'), join(storage, 'sub/dir'));
  symlinkSync('../../outside', join(storage, 'relative'));
  symlinkSync('own.txt', join(storage, 'inside'));
  execFileSync('mkfifo', [join(storage, 'pipe')]);

  const archive = await packed(storage);
  t.notOk(archive.includes('SECRET'), 'no outside content');
  t.same(
    (await entries(archive)).map((e) => [e.name, e.type, e.linkname ?? e.content]),
    [
      ['./', 'directory', ''],
      ['inside', 'symlink', 'own.txt'],
      ['key', 'symlink', join(root, 'outside/secret.key')],
      ['own.txt', 'file', 'own\n'],
      ['relative', 'symlink', '../../outside'],
      ['sub/', 'directory', ''],
      ['sub/deep.txt', 'file', 'deep\n'],
      ['sub/dir', 'symlink', join(root, 'outside/dir')],
    ],
    'links as links, the FIFO skipped (and never opened: the walk did not hang)',
  );
});

type Crafted = tar.Headers & { content?: string; pax?: Record<string, string> };

t.test('limits: nesting beyond 256 directories, and systems without /proc/self/fd', async (t) => {
  const storage = t.testdir({});
  mkdirSync(join(storage, ...Array.from({ length: 256 }, () => 'a')), { recursive: true });
  await packed(storage); // 256 levels: fine
  mkdirSync(join(storage, ...Array.from({ length: 257 }, () => 'a')));
  t.match(await packed(storage).catch((e: unknown) => e), {
    code: 'MC_BACKUP',
    message: /a\/a is nested deeper than 256 directories$/,
  });

  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { value: 'darwin' });
  t.teardown(() => Object.defineProperty(process, 'platform', platform));
  t.match(await packed(storage).catch((e: unknown) => e), {
    code: 'MC_BACKUP',
    message: /needs Linux \(\/proc\/self\/fd\); this is darwin/,
  });
});

/** A tar file with these entries (content given for files). */
async function craft(file: string, list: Crafted[]): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(file));
  for (const { content, ...header } of list) pack.entry(header, content ?? '');
  pack.finalize();
  await writing;
}

/** Every path under `dir`, with what it is. */
function listing(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .sort()
    .flatMap((name) => {
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = lstatSync(join(dir, rel));
      if (st.isSymbolicLink()) return [`${rel} -> ${readlinkSync(join(dir, rel))}`];
      if (st.isDirectory()) return [`${rel}/`, ...listing(dir, rel)];
      return [rel];
    });
}

t.test('a restore writes nothing outside its directory, whatever the archive holds', async (t) => {
  const root = t.testdir({});
  // Each case in a folder of its own: `outside/passwd` beside the `target` directory.
  const outside = '<outside>';
  const cases: [string, Crafted[], RegExp][] = [
    [
      'a file through a link',
      [
        { name: 'a', type: 'symlink', linkname: outside },
        { name: 'a/passwd', type: 'file', content: 'owned\n' },
      ],
      /ENOENT/,
    ],
    [
      'a file through a link to a directory entry',
      [
        { name: 'a', type: 'symlink', linkname: outside },
        { name: 'a/', type: 'directory' },
        { name: 'a/new', type: 'file', content: 'owned\n' },
      ],
      /EEXIST/,
    ],
    [
      'a link through a link',
      [
        { name: 'a', type: 'symlink', linkname: outside },
        { name: 'a/planted', type: 'symlink', linkname: '/anything' },
      ],
      /lies under the symlink a/,
    ],
    [
      'a link through a relative link',
      [
        { name: 'up', type: 'symlink', linkname: '..' },
        { name: 'up/planted', type: 'symlink', linkname: '/anything' },
      ],
      /lies under the symlink up/,
    ],
    [
      'a deeper link through a link',
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/a', type: 'symlink', linkname: outside },
        { name: 'd/a/planted', type: 'symlink', linkname: '/anything' },
      ],
      /lies under the symlink d\/a/,
    ],
    ['a climbing name', [{ name: '../outside/new', type: 'file', content: 'owned\n' }], /points outside/],
    [
      'a climbing link name',
      [{ name: 'x/../../outside/planted', type: 'symlink', linkname: '/anything' }],
      /points outside/,
    ],
    // In a pax header: a long name in the ustar fields would lose its leading slash.
    [
      'an absolute name',
      [{ name: 'new', pax: { path: `${outside}/new` }, type: 'file', content: 'owned\n' }],
      /points outside/,
    ],
    ['a hard link', [{ name: 'h', type: 'link', linkname: `${outside}/passwd` }], /type link is not restored/],
  ];
  for (const [what, list, refusal] of cases) {
    const dir = join(root, what.replace(/\W+/g, '-'));
    mkdirSync(join(dir, 'outside'), { recursive: true });
    writeFileSync(join(dir, 'outside/passwd'), 'root:x:0:0\n');
    const real = (text?: string) => text?.replace(outside, join(dir, 'outside'));
    await craft(
      join(dir, 'evil.tar'),
      list.map((h) => ({
        ...h,
        name: real(h.name)!,
        ...(h.linkname ? { linkname: real(h.linkname) } : {}),
        ...(h.pax ? { pax: { path: real(h.pax['path'])! } } : {}),
      })),
    );
    const error = await extractArchive(createReadStream(join(dir, 'evil.tar')), join(dir, 'target')).catch(
      (e: unknown) => e,
    );
    t.match(error, { message: refusal }, `${what}: refused`);
    t.same(
      listing(dir).filter((path) => !/^target\/./.test(path)),
      ['evil.tar', 'outside/', 'outside/passwd', 'target/'],
      `${what}: nothing written outside`,
    );
  }
});

/**
 * Starts a hostile app's script (see hostile-storage.ts) in a local node, without the test
 * runner's NODE_OPTIONS (its loaders), and waits for its `ready`.
 */
async function start(argv: string[]): Promise<ChildProcess> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  await once(child.stdout!, 'data');
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

// The swappers are separate processes, so they run truly beside the archiver, not between
// its awaits; the loops are bounded by count and time.

t.test('files and directories swapped for symlinks while archiving never bring outside content in', async (t) => {
  const root = t.testdir({});
  const marker = `TOPSECRET-${randomBytes(8).toString('hex')}`;
  const storage = join(root, 'storage/shop');
  mkdirSync(storage, { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(storage, `other-${i}`), 'public\n');
  // Outside the storage: what the platform keeps beside it (its secrets).
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets/x'), `${marker}\n`);
  writeFileSync(join(root, 'secret.key'), `${marker}\n`);
  const child = await start(symlinkSwapper(storage, join(root, 'secret.key'), join(root, 'secrets'), 60));
  t.teardown(() => stop(child));

  const deadline = Date.now() + 10_000;
  let runs = 0;
  let leaks = 0;
  const errors = new Set<string>();
  let swapsSeen = 0;
  for (; runs < 200 && Date.now() < deadline && leaks === 0; runs++) {
    try {
      const tar = await packed(storage);
      if (tar.includes(marker)) leaks++;
      if (tar.includes(join(root, 'secret'))) swapsSeen++; // a link entry, archived as a link
    } catch (error) {
      errors.add(String((error as Error).message));
    }
  }
  await stop(child);
  t.comment(`${runs} archives, ${swapsSeen} caught a swapped entry, ${leaks} leaked`);
  t.equal(leaks, 0, 'no archive holds the outside content');
  t.same([...errors], [], 'an entry that changes under the archiver is not an error');
  t.ok(swapsSeen > 0, 'the race was exercised: some archives hold the symlinks');
});

t.test('a file swapped for a FIFO never hangs the archiver', async (t) => {
  const storage = t.testdir({});
  const child = await start(fifoSwapper(storage, 60));
  t.teardown(() => stop(child));

  const deadline = Date.now() + 5_000;
  let runs = 0;
  let hung = 0;
  const errors = new Set<string>();
  for (; runs < 100 && Date.now() < deadline && hung === 0; runs++) {
    const archive = packed(storage).catch((error: unknown) => {
      errors.add(String((error as Error).message));
    });
    const late = await Promise.race([
      archive.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 3_000)),
    ]);
    if (late) {
      hung++;
      // Let the old archiver's open() return (a writer appears), so this process can end.
      closeSync(openSync(join(storage, 'fifo'), constants.O_WRONLY | constants.O_NONBLOCK));
      await archive;
    }
  }
  await stop(child);
  t.comment(`${runs} archives`);
  t.equal(hung, 0, 'no archive waited for a writer on the FIFO');
  t.same([...errors], [], 'an entry that changes under the archiver is not an error');
});

t.test("a restore's removal of the replaced files never follows a link swapped in by the app", async (t) => {
  const root = t.testdir({});
  const outside = join(root, 'outside');
  mkdirSync(outside);
  const precious = Array.from({ length: 50 }, (_, i) => `precious-${i}`);
  for (const name of precious) writeFileSync(join(outside, name), 'keep me\n');

  const deadline = Date.now() + 10_000;
  let runs = 0;
  const errors = new Set<string>();
  for (; runs < 40 && Date.now() < deadline && readdirSync(outside).length === precious.length; runs++) {
    const dir = join(root, `run-${runs}/storage/shop`);
    const staging = join(root, `run-${runs}/storage/.restore-shop`);
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'restored.txt'), 'restored\n');
    const child = await start(deletionSwapper(dir, outside, precious, 60));
    try {
      await swapContents(staging, dir);
    } catch (error) {
      errors.add(String((error as Error).message).replace(/run-\d+/, 'run-N'));
    } finally {
      await stop(child);
    }
  }
  t.comment(`${runs} restores; errors: ${[...errors].join('; ') || 'none'}`);
  t.same(readdirSync(outside).sort(), precious.sort(), 'every file outside is still there');
  // An app that keeps filling the moved directory wins only this: the restore says so.
  for (const message of errors)
    t.match(message, /^restored into .*, but the files it replaced, moved to .*, could not all be removed/);
});
