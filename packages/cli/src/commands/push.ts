import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  defaultDataDir,
  dockerClient,
  formatImageRef,
  loadPlatformSettings,
  MinicloudError,
  platformLayout,
  pushImage,
  pushTarget,
  registryAuthFromDockerConfig,
  Sensitive,
  type RegistryAuth,
} from '@minicloud/core';
import type { Io } from '../output.js';

interface PushFlags {
  dataDir: string;
  name?: string;
  registry?: string;
  user?: string;
  passwordFile?: string;
}

/** Credentials in this order: --password-file, MINICLOUD_REGISTRY_PASSWORD_FILE, the data dir, `docker login`. */
async function credentials(registry: string, ref: string, flags: PushFlags, user: string): Promise<RegistryAuth> {
  const files = [
    flags.passwordFile,
    process.env['MINICLOUD_REGISTRY_PASSWORD_FILE'],
    platformLayout(flags.dataDir).secret['registry-password'],
  ];
  for (const [i, file] of files.entries()) {
    if (!file) continue;
    try {
      return {
        serveraddress: registry,
        username: user,
        password: new Sensitive((await readFile(file, 'utf8')).trim()),
      };
    } catch (error) {
      if (i < 2) throw new MinicloudError('MC_REGISTRY_AUTH', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const fromLogin = await registryAuthFromDockerConfig(ref);
  if (fromLogin) return fromLogin;
  throw new MinicloudError(
    'MC_REGISTRY_AUTH',
    `no credentials for ${registry}: run as root on the manager, pass --password-file, or \`docker login ${registry}\``,
  );
}

export function registerPush(program: Command, io: Io): void {
  program
    .command('push')
    .description('tag a local image for the private registry and push it with the registry credentials')
    .argument('<image>', 'a local image, e.g. myapp:1.2')
    .option('--name <path[:tag]>', "repository path (and tag) in the registry; default: the image's own")
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--registry <host:port>', "registry address (default: the installed platform's)")
    .option('--user <name>', "registry user (default: the platform's)")
    .option('--password-file <file>', 'file holding the registry password')
    .action(async (image: string, flags: PushFlags) => {
      const settings = flags.registry ? undefined : await loadPlatformSettings(flags.dataDir);
      const registry = flags.registry ?? settings!.registryAddr;
      const target = pushTarget(image, registry, flags.name);
      const auth = await credentials(
        registry,
        formatImageRef(target),
        flags,
        flags.user ?? settings?.registryUser ?? 'minicloud',
      );
      const result = await pushImage(dockerClient(), image, target, auth);
      io.out(`pushed ${result.ref}${result.digest ? `@${result.digest}` : ''}`);
    });
}
