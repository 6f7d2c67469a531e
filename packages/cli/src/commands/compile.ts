import type { Command } from 'commander';
import { compileStack, loadManifest } from '@minicloud/core';
import type { Io } from '../output.js';
import { collect, integer } from '../options.js';

interface CompileOptions {
  image: string;
  domain: string[];
  endpointMode?: string;
  replicas?: number;
  name?: string;
  baseDomain?: string;
}

/** `minicloud compile PATH --image REF ...`: the stack YAML on stdout. */
export function registerCompile(program: Command, io: Io): void {
  program
    .command('compile')
    .description('compile a cloud manifest and deployment settings into a swarm stack file')
    .argument('<path>', 'manifest file or directory')
    .requiredOption('--image <ref>', 'image reference the app runs')
    .option('--domain <host>', 'extra domain routed to the app (repeatable)', collect, [])
    .option('--endpoint-mode <mode>', 'vip or dnsrr (dnsrr where the kernel has no IPVS)')
    .option('--replicas <n>', 'replicas of the web service', integer)
    .option('--name <name>', 'app name, overriding the manifest')
    .option('--base-domain <host>', 'base domain for the default <app>.<base> host name')
    .action(async (path: string, opts: CompileOptions) => {
      const manifest = await loadManifest(path);
      const stack = compileStack(manifest, {
        image: opts.image,
        domains: opts.domain,
        ...(opts.endpointMode !== undefined ? { endpointMode: opts.endpointMode } : {}),
        ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.baseDomain !== undefined ? { baseDomain: opts.baseDomain } : {}),
      });
      io.out(stack.yaml);
    });
}
