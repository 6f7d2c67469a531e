import { Transform, type TransformCallback } from 'node:stream';

// Counts the rows of each table in a plain pg_dump stream while it passes by, so that the counts
// in backup.json come from the dump's own snapshot (as sql-row-counter.ts does for MariaDB).
// pg_dump writes each table's data as `COPY schema.table (cols) FROM stdin;`, one line per row
// (COPY's text format escapes newlines inside values), ended by a line `\.`; it writes that
// block for empty tables too. The dump ends with a `-- PostgreSQL database dump complete` line.

const COPY_HEAD = /^COPY (.+?) (?:\(.*\) )?FROM stdin;$/;
const COMPLETE = '-- PostgreSQL database dump complete';

/** `public."My ""T"""` -> `public.My "T"`: an identifier list as pg_dump quotes it, unquoted. */
export function unquoteQualified(text: string): string {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === '.') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.join('.');
}

export class CopyRowCounter extends Transform {
  readonly tables = new Map<string, number>();
  completed = false;
  #table: string | undefined;
  #rest = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const lines = (this.#rest + chunk.toString('latin1')).split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#rest !== '') this.#line(this.#rest);
    this.#rest = '';
    callback();
  }

  #line(line: string): void {
    if (this.#table !== undefined) {
      if (line === '\\.') this.#table = undefined;
      else this.tables.set(this.#table, (this.tables.get(this.#table) ?? 0) + 1);
      return;
    }
    const head = COPY_HEAD.exec(line);
    if (head) {
      // Names are UTF-8; the chunk was read as latin1 so that a split character stays intact.
      this.#table = Buffer.from(unquoteQualified(head[1]!), 'latin1').toString('utf8');
      this.tables.set(this.#table, this.tables.get(this.#table) ?? 0);
    } else if (line.startsWith(COMPLETE)) this.completed = true;
  }
}
