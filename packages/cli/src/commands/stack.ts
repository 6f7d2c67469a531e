import type { Command } from 'commander';
import { dirname } from 'node:path';
import {
  deployStack,
  dockerClient,
  formatPlan,
  loadComposeFile,
  registryAuthFromDockerConfig,
  removeStack,
  stackStatus,
  type RegistryAuth,
} from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson, table } from '../table.js';

interface DeployFlags {
  composeFile: string;
  prune?: boolean;
  adopt?: boolean;
  detach?: boolean;
  withRegistryAuth?: boolean;
  dryRun?: boolean;
  timeout: number;
  json?: boolean;
}

/** Credentials `docker login` stored for each distinct registry the stack's images use. */
async function authsFor(images: string[]): Promise<RegistryAuth[]> {
  const found = await Promise.all([...new Set(images)].map((image) => registryAuthFromDockerConfig(image)));
  return found.filter((a): a is RegistryAuth => a !== undefined);
}

export function registerStack(program: Command, io: Io): void {
  const stack = program.command('stack').description('deploy, inspect and remove swarm stacks through the Engine API');

  stack
    .command('deploy')
    .description('deploy or update a stack from a compose file (like docker stack deploy)')
    .argument('<name>', 'stack name')
    .requiredOption('-c, --compose-file <file>', 'compose file (version 3)')
    .option('--prune', 'remove services the file no longer has')
    .option(
      '--adopt',
      'take over what `docker stack deploy` made for this stack (how install.sh moves a platform to this deploy)',
    )
    .option('--with-registry-auth', 'send registry credentials (from docker login) to the swarm')
    .option('--dry-run', 'print the plan (create / update / remove / unchanged) and change nothing')
    .option('--timeout <seconds>', 'how long to wait for the services', (v) => Number(v), 180)
    .option(
      '--detach',
      'return once the changes are made, without waiting for the services (as docker stack deploy does)',
    )
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: DeployFlags) => {
      const compose = await loadComposeFile(flags.composeFile, process.env);
      const images = Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []));
      const result = await deployStack(name, compose, {
        docker: dockerClient(),
        baseDir: dirname(flags.composeFile),
        prune: flags.prune ?? false,
        adoptStack: flags.adopt ?? false,
        wait: !(flags.detach ?? false),
        dryRun: flags.dryRun ?? false,
        timeoutMs: flags.timeout * 1000,
        ...(flags.withRegistryAuth ? { registryAuth: await authsFor(images) } : {}),
      });
      if (flags.json) return printJson(io, result);
      for (const line of formatPlan(result.plan)) io.out(line);
      for (const s of result.services) io.out(`${s.name}: ${s.running}/${s.desired} running`);
    });

  stack
    .command('rm')
    .description('remove a stack (its services, networks, secrets and configs; volumes stay) and wait until it is gone')
    .argument('<name>', 'stack name')
    .option('--detach', 'return once the removal is accepted, without waiting for it to finish')
    .option('--timeout <seconds>', 'how long to wait for the stack to be gone', (v) => Number(v), 120)
    .action(async (name: string, flags: { detach?: boolean; timeout: number }) => {
      const removed = await removeStack(name, dockerClient(), {
        timeoutMs: flags.timeout * 1000,
        detach: flags.detach ?? false,
        progress: (line) => io.err(line),
      });
      for (const r of removed) io.out(`removed ${r}`);
    });

  stack
    .command('ps')
    .description('list the services of a stack and their tasks')
    .argument('<name>', 'stack name')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { json?: boolean }) => {
      const services = await stackStatus(name, dockerClient());
      if (flags.json) return printJson(io, services);
      if (services.length === 0) throw new Error(`no stack named ${name}`);
      const rows = services.flatMap((s) =>
        s.tasks
          .filter((t) => t.desiredState === 'running' || t.error)
          .slice(0, Math.max(s.desired, 1) + 2)
          .map((t) => [
            t.id.slice(0, 12),
            s.name,
            t.image,
            t.node.slice(0, 12),
            t.desiredState,
            t.state,
            t.error ?? '',
          ]),
      );
      table(io, ['ID', 'SERVICE', 'IMAGE', 'NODE', 'DESIRED', 'CURRENT', 'ERROR'], rows);
    });
}
