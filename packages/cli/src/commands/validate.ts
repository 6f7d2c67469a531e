import type { Command } from 'commander';
import { formatDetail, isMinicloudError, loadManifest } from '@minicloud/core';
import type { Io } from '../output.js';

/** `minicloud validate PATH`: `ok`, or one error per line and exit 1. */
export function registerValidate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check a cloud manifest (a file, or a directory holding cloud_manifest.yml/.yaml/.json)')
    .argument('<path>', 'manifest file or directory')
    .action(async (path: string) => {
      try {
        await loadManifest(path);
        io.out('ok');
      } catch (error) {
        if (!isMinicloudError(error)) throw error;
        const lines = error.details.length > 0 ? error.details.map(formatDetail) : [error.message];
        for (const line of lines) io.err(line);
        setExit(1);
      }
    });
}
