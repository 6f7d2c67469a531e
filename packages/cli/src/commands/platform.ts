import type { Command } from 'commander';
import {
  defaultDataDir,
  dockerClient,
  initPlatform,
  joinCommand,
  loadPlatformSettings,
  LATER_SERVICES,
  MANAGEMENT_SERVICES,
  type ImagesInput,
  MinicloudError,
  platformJoinCommand,
  platformSettings,
  type EndpointMode,
  type ImagesMode,
  type ManagementService,
} from '@minicloud/core';
import type { Io } from '../output.js';
import { collect, integer } from '../options.js';
import { printJson } from '../table.js';
import { registerPlatformDisk } from './platform-disk.js';

interface InitFlags {
  dataDir: string;
  domain: string;
  registryAddr: string;
  endpointMode: EndpointMode;
  images: ImagesMode;
  image: string[];
  registryKeep?: number;
  engineSocket?: string;
  nodeSocket?: string;
  nodeAgentImage?: string;
  acmeEmail?: string;
  acmeDirectory?: string;
  acmeCaFile?: string;
  templates?: string;
  joinScript?: string;
  json?: boolean;
  verbose?: boolean;
}

function imageMap(pairs: string[]): ImagesInput {
  const out: Partial<Record<ManagementService, string>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const service = pair.slice(0, eq) as ManagementService;
    if (eq <= 0 || !MANAGEMENT_SERVICES.includes(service))
      throw new MinicloudError(
        'MC_PLATFORM_INVALID',
        `--image "${pair}" must be SERVICE=IMAGE with SERVICE one of ${MANAGEMENT_SERVICES.join(', ')}`,
      );
    out[service] = pair.slice(eq + 1);
  }
  // A later service (postgres, redis) left out runs its need kind's image for the mode.
  const missing = MANAGEMENT_SERVICES.filter((s) => !out[s] && !(LATER_SERVICES as readonly string[]).includes(s));
  if (missing.length > 0)
    throw new MinicloudError('MC_PLATFORM_INVALID', `--image is needed for ${missing.join(', ')}`);
  return out as ImagesInput;
}

export function registerPlatform(program: Command, io: Io): void {
  const platform = program
    .command('platform')
    .description('the platform itself: secrets, certificates, configuration, joining nodes, disk space');

  platform
    .command('init')
    .description(
      'create or bring up to date the data dir: secrets, CA and certificates, management stack files (install.sh runs this)',
    )
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--domain <base>', 'base domain: the admin app answers on admin.<base>', 'minicloud.localhost')
    .requiredOption('--registry-addr <host:port>', 'address nodes reach the registry at, e.g. 10.0.0.5:5443')
    .option('--endpoint-mode <mode>', 'vip, or dnsrr where the kernel has no IPVS', 'vip')
    .option('--images <mode>', 'hub (official images) or debian (built from Debian packages)', 'hub')
    .option('--image <service=image>', 'the image a management service runs (repeat for each)', collect, [])
    .option('--registry-keep <n>', 'previous images per repository the registry clean-up keeps', integer)
    .option('--engine-socket <path>', "the engine's unix socket on the manager (default /var/run/docker.sock)")
    .option('--node-socket <path>', "each node's own engine socket, for the node agents (default /var/run/docker.sock)")
    .option('--node-agent-image <ref>', "the node agents' image, where every node can pull it (default the proxy's)")
    .option(
      '--acme-email <email>',
      "turn ACME on: certificates from Let's Encrypt (or --acme-directory), this account's contact",
    )
    .option('--acme-directory <url>', "the ACME server's directory (default Let's Encrypt's production one)")
    .option('--acme-ca-file <file>', 'a CA bundle inside the data dir to trust for the ACME server')
    .option('--templates <dir>', 'management stack templates (default: stacks/management of this build)')
    .option(
      '--join-script <file>',
      'join-worker.sh to publish for new nodes (default: install/join-worker.sh of this build)',
    )
    .option('--json', 'machine-readable report')
    .action(async (flags: InitFlags, command: Command) => {
      const settings = platformSettings({
        dataDir: flags.dataDir,
        domain: flags.domain,
        registryAddr: flags.registryAddr,
        endpointMode: flags.endpointMode,
        imagesMode: flags.images,
        images: imageMap(flags.image),
        ...(flags.registryKeep !== undefined ? { registryKeep: flags.registryKeep } : {}),
        ...(flags.engineSocket !== undefined ? { engineSocket: flags.engineSocket } : {}),
        ...(flags.nodeSocket !== undefined ? { nodeSocket: flags.nodeSocket } : {}),
        ...(flags.nodeAgentImage !== undefined ? { nodeAgentImage: flags.nodeAgentImage } : {}),
        ...(flags.acmeEmail !== undefined ? { acmeEmail: flags.acmeEmail } : {}),
        ...(flags.acmeDirectory !== undefined ? { acmeDirectory: flags.acmeDirectory } : {}),
        ...(flags.acmeCaFile !== undefined ? { acmeCaFile: flags.acmeCaFile } : {}),
      });
      const report = await initPlatform(settings, {
        ...(flags.templates ? { templatesDir: flags.templates } : {}),
        ...(flags.joinScript ? { joinScript: flags.joinScript } : {}),
      });
      if (flags.json) return printJson(io, report);
      const verbose = Boolean(command.optsWithGlobals()['verbose']);
      for (const c of report.changes)
        if (verbose || c.action !== 'kept') io.out(`${c.action.padEnd(10)} ${c.path}${c.why ? ` (${c.why})` : ''}`);
      const count = (a: string) => report.changes.filter((c) => c.action === a).length;
      io.out(
        `platform init: ${count('created')} created, ${count('updated')} updated, ${count('customized')} customized, ${count('kept')} unchanged`,
      );
      for (const s of report.restart) io.out(`restart: ${s}`);
    });

  platform
    .command('info')
    .description('print the installed platform settings (no secrets)')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .option('--json', 'machine-readable output')
    .action(async (flags: { dataDir: string; json?: boolean }) => {
      const s = await loadPlatformSettings(flags.dataDir);
      if (flags.json) return printJson(io, s);
      io.out(`admin URL:     https://admin.${s.domain}/`);
      io.out(`data dir:      ${s.dataDir}`);
      io.out(`registry:      ${s.registryAddr} (user ${s.registryUser})`);
      io.out(`endpoint mode: ${s.endpointMode}`);
      io.out(`images:        ${s.imagesMode}`);
      io.out(
        `certificates:  ${s.acmeEmail ? `ACME at ${s.acmeDirectory} (account ${s.acmeEmail})` : 'the platform CA (ACME off)'}`,
      );
      for (const service of MANAGEMENT_SERVICES) io.out(`  ${service.padEnd(9)} ${s.images[service]}`);
    });

  platform
    .command('join-command')
    .description('print what a new worker node runs to join (same as `node join-command`)')
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .action(async (flags: { dataDir: string }) => io.out(await platformJoinCommand(dockerClient(), flags.dataDir)));

  registerPlatformDisk(platform, io);
}

/**
 * `node join-command` prints the whole platform join (CA trust, registry login, swarm join)
 * when a platform is installed, and the bare `docker swarm join` otherwise or for managers.
 */
export function extendNodeJoinCommand(program: Command, io: Io): void {
  const command = program.commands.find((c) => c.name() === 'node')?.commands.find((c) => c.name() === 'join-command');
  if (!command) return;
  command
    .option('--data-dir <dir>', 'the platform data dir', defaultDataDir())
    .action(async (flags: { manager?: boolean; dataDir: string }) => {
      const docker = dockerClient();
      const installed = await loadPlatformSettings(flags.dataDir).then(
        () => true,
        () => false,
      );
      if (installed && !flags.manager) io.out(await platformJoinCommand(docker, flags.dataDir));
      else io.out((await joinCommand(docker, flags.manager ? 'manager' : 'worker')).command);
    });
}
