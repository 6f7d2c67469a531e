import { formatDetail, isMinicloudError } from '@minicloud/core';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout is a terminal: an app's text is made printable there, passed as is to a pipe. */
  isTTY?: boolean;
  /** Raw bytes both ways, for `app exec -it`: the process's stdin and stdout unless a test gives others. */
  terminal?: Terminal;
}

export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream & { rows?: number; columns?: number; on(event: 'resize', f: () => void): unknown };
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: process.stdout.isTTY === true,
};

/** `error (CODE): message`, then one line per field error; a stack trace only with --verbose. */
export function printError(io: Io, error: unknown, verbose: boolean): void {
  if (isMinicloudError(error)) {
    io.err(`error (${error.code}): ${error.message}`);
    for (const detail of error.details) if (detail.path !== '') io.err(`  ${formatDetail(detail)}`);
  } else {
    io.err(`error: ${(error as Error)?.message ?? String(error)}`);
  }
  if (verbose && error instanceof Error && error.stack) io.err(error.stack);
}
