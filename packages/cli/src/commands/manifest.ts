import type { Command } from 'commander';
import { dockerClient, readImageManifest, registryAuthFromDockerConfig } from '@minicloud/core';
import type { Io } from '../output.js';
import { printJson } from '../table.js';

export function registerManifest(program: Command, io: Io): void {
  program
    .command('manifest')
    .description('print the cloud manifest read out of an image (pulled if missing)')
    .argument('<image>', 'image reference')
    .option('--json', 'print the validated manifest with defaults as JSON')
    .action(async (image: string, flags: { json?: boolean }) => {
      const auth = await registryAuthFromDockerConfig(image);
      const { manifest, text } = await readImageManifest(dockerClient(), image, auth);
      if (flags.json) printJson(io, manifest);
      else io.out(text);
    });
}
