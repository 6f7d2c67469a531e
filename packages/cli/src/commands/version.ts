import type { Command } from 'commander';
import { ApiClient } from '../client/http.js';
import { resolveServer, type ServerFlags } from '../client/config.js';
import type { Io } from '../output.js';
import { printJson } from '../table.js';

// `minicloud version`: this CLI's version and, when a server is configured (flags, the
// environment, the config file or the data dir), the server's, from its GET /health. Two lines
// so an operator sees at once that a CLI and its server differ (after an upgrade of one).

export function registerVersion(program: Command, io: Io, cliVersion: string): void {
  program
    .command('version')
    .description("print this CLI's version and the configured server's")
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const config = await resolveServer(cmd.optsWithGlobals<ServerFlags>());
      // Printed first so that an unreachable server still leaves the client's version shown.
      if (!flags.json) io.out(`client ${cliVersion}`);
      const server = config
        ? { url: config.server, version: (await new ApiClient(config).get<{ version: string }>('/health')).version }
        : undefined;
      if (flags.json) return printJson(io, { client: cliVersion, server: server ?? null });
      if (server) io.out(`server ${server.version} (${server.url})`);
    });
}
