import { run } from '@minicloud/cli';

/** Runs the CLI in-process with this environment; its exit code, stdout and stderr. */
export async function cli(env: Record<string, string | undefined>, ...args: string[]) {
  return cliOn(false, env, ...args);
}

/** As cli(), with stdout a terminal or not (an app's text is made printable on one). */
export async function cliOn(isTTY: boolean, env: Record<string, string | undefined>, ...args: string[]) {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    const code = await run(['node', 'minicloud', ...args], {
      out: (s) => (out += s.endsWith('\n') ? s : `${s}\n`),
      err: (s) => (err += s.endsWith('\n') ? s : `${s}\n`),
      isTTY,
    });
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}
