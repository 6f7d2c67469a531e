import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// install.sh's engine step decides what to do from what it finds: a docker client on the PATH
// with no dockerd is not an engine, and must lead to installing one, saying what it found.
// The step runs in bash with the script sourced, a PATH of stand-ins, and apt_install replaced
// by a stub that reports and stops (nothing is installed or started).

const run = promisify(execFile);
const INSTALL = new URL('../../install/install.sh', import.meta.url).pathname;

async function engineStep(t: Test, bin: Record<string, string>, env: Record<string, string> = {}) {
  const dir = t.testdir({});
  // The plain tools the step uses, and nothing of Docker's.
  for (const tool of ['timeout', 'head', 'sleep', 'sed', 'cat']) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  for (const [name, body] of Object.entries(bin)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  const script = [
    'set -Eeuo pipefail',
    `. ${JSON.stringify(INSTALL)}`,
    'MC_LOGS=$(mktemp -d)',
    'apt_install() { fail "stub: apt_install $*"; }',
    // Only the stand-ins: /usr/bin/docker (Debian's client) and any real dockerd stay unseen.
    'pick_docker() { [ -n "${DOCKER:-}" ] || DOCKER=$(command -v docker || true); }',
    `PATH=${JSON.stringify(dir)}`,
    'ensure_docker',
    'echo "engine step done with $DOCKER"',
  ].join('\n');
  try {
    const { stdout, stderr } = await run('/bin/bash', ['-c', script], { env: { HOME: dir, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

t.test('a docker client without dockerd: docker.io is installed, and the message says what was found', async (t) => {
  const r = await engineStep(t, {
    docker: 'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";; *) exit 1;; esac',
  });
  t.equal(r.code, 1);
  t.match(
    r.out,
    /found the docker client \S+\/docker \(Docker version 28\.2\.2, build e6534b4\) but no engine \(dockerd\): installing Debian's docker\.io/,
  );
  t.match(r.out, /stub: apt_install docker\.io/);
  t.notMatch(r.out, /no dockerd binary to start/);
});

t.test('no docker at all: docker.io is installed', async (t) => {
  const r = await engineStep(t, {});
  t.match(r.out, /no Docker Engine here: installing Debian's docker\.io/);
  t.match(r.out, /stub: apt_install docker\.io/);
});

t.test('an engine that answers is used as it is; one named by DOCKER_HOST that does not is an error', async (t) => {
  const up = await engineStep(t, { docker: 'echo 20.10.24' });
  t.equal(up.code, 0, up.out);
  t.match(up.out, /engine step done with \S+\/docker/);
  t.notMatch(up.out, /apt_install/);
  const gone = await engineStep(t, { docker: 'exit 1' }, { DOCKER_HOST: 'unix:///nowhere.sock' });
  t.equal(gone.code, 1);
  t.match(gone.out, /the Docker Engine at DOCKER_HOST=unix:\/\/\/nowhere\.sock does not answer/);
});

// Issue 12: the ACME options, kept on re-runs like the others, checked before anything runs.
async function acmeStep(t: Test, dataDir: string, args: string[]) {
  const script = [
    'set -Eeuo pipefail',
    `. ${JSON.stringify(INSTALL)}`,
    `parse_args --data-dir ${JSON.stringify(dataDir)} ${args.map((a) => JSON.stringify(a)).join(' ')}`,
    'resolve_acme',
    'echo "email=$ACME_EMAIL dir=$ACME_DIR ca=$ACME_CA"',
  ].join('\n');
  try {
    const { stdout, stderr } = await run('/bin/bash', ['-c', script], { env: { PATH: '/usr/bin:/bin' } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

t.test(
  'ACME options: given ones win, installed ones are kept, --no-acme clears them, bad ones are refused',
  async (t) => {
    const data = t.testdir({
      config: {
        'platform.json': JSON.stringify(
          {
            version: 1,
            settings: {
              acmeCaFile: '/x/config/acme/ca.pem',
              acmeDirectory: 'https://acme.example.com/dir',
              acmeEmail: 'ops@example.com',
            },
          },
          null,
          2,
        ),
        acme: { 'ca.pem': 'old' },
      },
      'ca.pem': '-----BEGIN CERTIFICATE-----\nnew\n-----END CERTIFICATE-----\n',
      'not-a-ca': 'hello',
    });
    const kept = await acmeStep(t, data, []);
    t.match(kept.out, 'email=ops@example.com dir=https://acme.example.com/dir ca=/x/config/acme/ca.pem', 'kept');
    const given = await acmeStep(t, data, ['--acme-email', 'new@example.com', '--acme-ca-file', join(data, 'ca.pem')]);
    t.match(given.out, `email=new@example.com dir=https://acme.example.com/dir ca=${data}/config/acme/ca.pem`);
    const off = await acmeStep(t, data, ['--no-acme']);
    t.match(off.out, 'email= dir= ca=', 'off');
    for (const [args, message] of [
      [['--acme-email', 'not an address'], /--acme-email must be an e-mail address/],
      [
        ['--acme-email', 'a@b.com', '--acme-directory', 'http://acme.example.com/'],
        /--acme-directory must be an https:\/\/ URL/,
      ],
      [['--acme-ca-file', join(data, 'missing.pem')], /--acme-ca-file .* cannot be read/],
      [['--acme-ca-file', join(data, 'not-a-ca')], /--acme-ca-file .* holds no PEM certificate/],
      [['--no-acme', '--acme-email', 'a@b.com'], /--no-acme cannot go with the other --acme options/],
    ] as const) {
      const r = await acmeStep(t, data, [...args]);
      t.not(r.code, 0, `${args.join(' ')} refused`);
      t.match(r.out, message);
    }
  },
);
