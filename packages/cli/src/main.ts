import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { printError, processIo, type Io } from './output.js';
import { registerValidate } from './commands/validate.js';
import { registerCompile } from './commands/compile.js';
import { registerStack } from './commands/stack.js';
import { registerNode } from './commands/node.js';
import { registerManifest } from './commands/manifest.js';
import { extendNodeJoinCommand, registerPlatform } from './commands/platform.js';
import { registerPush } from './commands/push.js';
import { registerRegistry } from './commands/registry.js';
import { registerApp } from './commands/app.js';
import { registerApply } from './commands/apply.js';
import { registerBackup } from './commands/backup.js';
import { registerEvents } from './commands/events.js';
import { registerVersion } from './commands/version.js';

/** The CLI package's own version (src/ and dist/ both sit next to its package.json). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('minicloud')
    .description('run many small web apps on Docker Swarm')
    .version(cliVersion(), '--version', 'print the version')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerValidate(program, io, setExit);
  registerCompile(program, io);
  registerStack(program, io);
  registerNode(program, io);
  registerManifest(program, io);
  registerPlatform(program, io);
  extendNodeJoinCommand(program, io);
  registerPush(program, io);
  registerRegistry(program, io);
  registerApp(program, io, setExit);
  registerApply(program, io);
  registerBackup(program, io);
  registerEvents(program, io);
  registerVersion(program, io, cliVersion());
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can call it). */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    printError(io, error, argv.includes('--verbose'));
    return 1;
  }
}
