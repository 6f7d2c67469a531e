import type { Io } from './output.js';
import { printable } from './printable.js';

/**
 * Plain column output, widths from the content, like the docker CLI's tables. Cells may hold
 * what an app wrote (a task's error): control characters are shown, never obeyed.
 */
export function table(io: Io, header: string[], cells: string[][]): void {
  const rows = cells.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows])
    io.out(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
