import { run } from '@minicloud/cli';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process, as `minicloud ARGS...`, capturing what it prints. */
export async function cli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await run(['node', 'minicloud', ...args], {
    out: (s) => (out += s.endsWith('\n') ? s : `${s}\n`),
    err: (s) => (err += s.endsWith('\n') ? s : `${s}\n`),
  });
  return { code, out, err };
}
