import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

// What a hostile app does to its own storage while the platform backs it up or restores it
// (issue 11, item 3), as `node -e` commands: the same scripts run as a local child process in
// the unit tests and as an app's command on the test swarm (any image with node, such as
// minicloud/node:20). Each prints `ready` once set up, then swaps as fast as it can, errors
// ignored, until killed or `seconds` have passed. Node rather than sh: a shell forks for every
// ln and mv, and swaps too slowly to catch the old archiver reliably. The secret paths are the
// HOST's (the platform reads the links on the host, or in the API container, which mounts the
// data dir at the same path); inside the app they lead nowhere.

function loop(name: string, setup: string, step: string, args: string[], seconds: number): string[] {
  const script = `// ${name}
const fs = require('node:fs');
const args = process.argv.slice(1);
const until = Date.now() + ${seconds * 1000};
const quiet = (fn) => { try { fn(); } catch {} };
${setup}
process.stdout.write('ready\\n');
while (Date.now() < until) { ${step} }`;
  return ['node', '-e', script, ...args];
}

/**
 * In `dir` (the app's /data), swaps the file `f` for a symlink to `secretFile` and back, and
 * the directory `d` for a symlink to `secretDir` and back.
 */
export function symlinkSwapper(dir: string, secretFile: string, secretDir: string, seconds = 3600): string[] {
  return loop(
    'symlink swapper',
    `process.chdir(args[0]);
     const [secretFile, secretDir] = args.slice(1);
     fs.writeFileSync('f', 'public\\n');
     fs.mkdirSync('d', { recursive: true });
     fs.writeFileSync('d/x', 'public\\n');`,
    `quiet(() => { fs.symlinkSync(secretFile, 'f.link'); fs.renameSync('f.link', 'f'); });
     quiet(() => { fs.renameSync('d', 'd.real'); fs.symlinkSync(secretDir, 'd'); });
     quiet(() => { fs.writeFileSync('f.new', 'public\\n'); fs.renameSync('f.new', 'f'); });
     quiet(() => { fs.unlinkSync('d'); fs.renameSync('d.real', 'd'); });`,
    [dir, secretFile, secretDir],
    seconds,
  );
}

/**
 * In `dir`, swaps the file `p` for a FIFO (a hard link to `fifo`, made here with mkfifo) and
 * back: an archiver that opens `p` by name after seeing a file waits forever for a writer.
 */
export function fifoSwapper(dir: string, seconds = 3600): string[] {
  return loop(
    'fifo swapper',
    `process.chdir(args[0]);
     fs.writeFileSync('p', 'public\\n');
     require('node:child_process').execFileSync('mkfifo', ['fifo']);`,
    `quiet(() => { fs.linkSync('fifo', 'p.fifo'); fs.renameSync('p.fifo', 'p'); });
     quiet(() => { fs.writeFileSync('p.new', 'public\\n'); fs.renameSync('p.new', 'p'); });`,
    [dir],
    seconds,
  );
}

/**
 * Works in `dir/sub` (made here, with directories `x0`..`x9`), and keeps that working
 * directory when a restore moves `sub` aside to delete it: there it swaps each `x<k>` for a
 * symlink to `secretDir` and back, and fills it again with files named `names` whenever it
 * is gone, so a deletion that lists a real directory and then follows a link removes the
 * files of those names in `secretDir`.
 */
export function deletionSwapper(dir: string, secretDir: string, names: readonly string[], seconds = 3600): string[] {
  return loop(
    'deletion swapper',
    `const [dir, secretDir, ...names] = args;
     fs.mkdirSync(dir + '/sub', { recursive: true });
     process.chdir(dir + '/sub');
     const fill = (x) => { fs.mkdirSync(x); for (const n of names) fs.writeFileSync(x + '/' + n, ''); };
     for (let k = 0; k < 10; k++) quiet(() => fill('x' + k));`,
    `for (let k = 0; k < 10; k++) {
       const x = 'x' + k;
       quiet(() => { fs.renameSync(x, x + '.real'); fs.symlinkSync(secretDir, x); });
       quiet(() => { fs.unlinkSync(x); fs.renameSync(x + '.real', x); });
       quiet(() => fill(x));
     }`,
    [dir, secretDir, ...names],
    seconds,
  );
}

export interface TarEntry {
  name: string;
  type: string;
  linkname?: string;
  content: string;
}

/** The entries of a tar stream, with each one's content as text. */
export async function tarEntries(source: Readable): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (header: tar.Headers, stream: Readable, next: () => void) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      out.push({
        name: header.name,
        type: header.type ?? 'file',
        ...(header.linkname ? { linkname: header.linkname } : {}),
        content: Buffer.concat(chunks).toString(),
      });
      next();
    });
  });
  await pipeline(source, extract);
  return out;
}

/** The entries of a storage.tar.gz backup part. */
export function storageEntries(path: string): Promise<TarEntry[]> {
  return tarEntries(createReadStream(path).pipe(createGunzip()));
}
