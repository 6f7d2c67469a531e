// bench/deploy: deployStack (Engine API) against `docker stack deploy` (the docker CLI) on the
// test swarm, for stacks of 1, 10 and 30 services: a fresh deploy and an unchanged re-deploy.
// Neither waits for tasks to start (the CLI does not), so both time the same work: reading
// the swarm and creating/updating objects. The CLI runs with --resolve-image never: by
// default it asks a registry for each image's digest (Docker Hub here, unreachable, which
// would cost it seconds per service), and deployStack does not resolve digests either. Targets (issue 3): ours <= 1.0x the CLI fresh,
// <= 0.2x unchanged. Run `npm run engine:up` first; prints a table of figures.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { deployStack, dockerClient, removeStack } from '@minicloud/core';
import { idleServices } from '../lib/idle-services.js';

const envFile = new URL('../../.engine/env', import.meta.url);
for (const m of readFileSync(envFile, 'utf8').matchAll(/^export ([A-Z_]+)=(.*)$/gm)) process.env[m[1]] ??= m[2];
const docker = dockerClient(process.env.DOCKER_HOST);
const work = mkdtempSync(join(tmpdir(), 'bench-deploy-'));
const cli = (...args) => execFileSync('/usr/bin/docker', args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });

/** N idle services on the manager from a local image: no pulls, so only deploy work is timed. */
function compose(n) {
  return {
    version: '3.8',
    services: idleServices(n),
    networks: { default: { labels: { 'minicloud.managed': 'true' } } },
  };
}

async function time(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function waitGone(stack) {
  for (let i = 0; i < 120; i++) {
    const left = await docker.listNetworks({ filters: { label: [`com.docker.stack.namespace=${stack}`] } });
    const services = await docker.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] } });
    if (left.length === 0 && services.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const rows = [];
for (const n of [1, 10, 30]) {
  const file = compose(n);
  const path = join(work, `stack-${n}.yml`);
  writeFileSync(path, yaml.dump(file));
  const ours = `bench-ours-${n}`;
  const theirs = `bench-cli-${n}`;
  const oursFresh = await time(() => deployStack(ours, file, { docker, wait: false, baseDir: work }));
  const cliFresh = await time(() => cli('stack', 'deploy', '--resolve-image', 'never', '-c', path, theirs));
  const oursAgain = await time(() => deployStack(ours, file, { docker, wait: false, baseDir: work }));
  const cliAgain = await time(() => cli('stack', 'deploy', '--resolve-image', 'never', '-c', path, theirs));
  rows.push({ n, oursFresh, cliFresh, oursAgain, cliAgain });
  await removeStack(ours, docker).catch(() => undefined);
  cli('stack', 'rm', theirs);
  await waitGone(ours);
  await waitGone(theirs);
}

const ms = (v) => `${v.toFixed(0)} ms`.padStart(8);
console.log('bench/deploy: deployStack (Engine API) vs docker stack deploy (CLI), no waiting for tasks');
console.log('services  ours fresh   cli fresh  ratio   ours again  cli again  ratio');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(8)}  ${ms(r.oursFresh)}  ${ms(r.cliFresh)}  ${(r.oursFresh / r.cliFresh).toFixed(2)}x  ${ms(r.oursAgain)}  ${ms(r.cliAgain)}  ${(r.oursAgain / r.cliAgain).toFixed(2)}x`,
  );
}
console.log('targets: fresh <= 1.00x, unchanged <= 0.20x');
