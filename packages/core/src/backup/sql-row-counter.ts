import { Transform, type TransformCallback } from 'node:stream';

// Counts the rows of each table in a mariadb-dump stream while it passes by, so the counts in
// backup.json come from the very snapshot the dump holds (a second COUNT(*) query would see
// another moment of a database that apps keep writing to).
//
// A byte-level state machine, never a regex over the whole text: the dump is streamed in
// chunks that split anywhere (in a string, in an escape, in a delimiter), it can hold any
// binary byte inside a string, and it is gigabytes long. What it understands of the syntax:
// - statements end with the current delimiter, which `DELIMITER ;;` lines change (routines
//   and triggers are dumped that way, with `;` inside their bodies);
// - '...' and "..." strings with backslash escapes (and '' doubled quotes), `...` identifiers;
// - -- line comments and /* */ block comments (mariadb-dump's /*!40101 ... */ ones included);
// - `CREATE TABLE `t` (` declares a table (its count starts at 0, so empty tables are listed);
// - `INSERT INTO `t` [(cols)] VALUES (..),(..)` adds one row per top-level parenthesised tuple.

const BACKSLASH = 0x5c;
const SQ = 0x27;
const DQ = 0x22;
const BT = 0x60;
const LP = 0x28;
const RP = 0x29;
const NL = 0x0a;
const SLASH = 0x2f;
const STAR = 0x2a;
const DASH = 0x2d;

/** How much of a statement's start is kept to recognise it (a table name is at most 64 characters). */
const HEAD_LIMIT = 4096;
const INSERT_HEAD = /^INSERT\s+INTO\s+`((?:[^`]|``)+)`\s*(?:\((?:[^`)]|`(?:[^`]|``)*`)*\)\s*)?VALUES\s*\($/is;
const CREATE_HEAD = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`((?:[^`]|``)+)`\s*\($/is;
const MAYBE_INTERESTING =
  /^(?:--?|I(?:N(?:S(?:E(?:R(?:T.*)?)?)?)?)?|C(?:R(?:E(?:A(?:T(?:E.*)?)?)?)?)?|D(?:E(?:L(?:I(?:M(?:I(?:T(?:E(?:R.*)?)?)?)?)?)?)?)?)$/is;

type Mode = 'start' | 'head' | 'values' | 'body' | 'delimiter';

export interface RowCounts {
  /** Rows per table, in the order the dump declares the tables. */
  tables: Map<string, number>;
  /** Whether the dump ended with mariadb-dump's `-- Dump completed` line. */
  completed: boolean;
}

export class SqlRowCounter {
  readonly tables = new Map<string, number>();
  private mode: Mode = 'start';
  private quote = 0;
  private escape = false;
  private lineComment = false;
  private blockComment = false;
  private prev = 0;
  private prev2 = 0;
  private head: number[] = [];
  private table = '';
  private depth = 0;
  private delimiter: Buffer = Buffer.from(';');
  private matched = 0;
  private delimiterLine: number[] = [];
  /** The last bytes seen, for the completion marker. */
  private tail = Buffer.alloc(0);

  write(chunk: Buffer): void {
    // Inside a value's string only its closing quote and backslashes matter: jump to the
    // next of those (memchr-fast indexOf, each position looked up once per chunk).
    const next = new Map<number, number>();
    const find = (byte: number, from: number): number => {
      const known = next.get(byte);
      if (known !== undefined && (known === -1 || known >= from)) return known;
      const found = chunk.indexOf(byte, from);
      next.set(byte, found);
      return found;
    };
    for (let i = 0; i < chunk.length; i++) {
      if (this.quote !== 0 && !this.escape && this.mode !== 'head') {
        const q = find(this.quote, i);
        const b = this.quote === BT ? -1 : find(BACKSLASH, i);
        const to = q === -1 ? b : b === -1 ? q : Math.min(q, b);
        if (to === -1) break;
        if (to > i) {
          // The skipped bytes are string content: none of them is structure.
          this.prev2 = 0;
          this.prev = 0;
          i = to;
        }
      }
      this.byte(chunk[i]!);
    }
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - 256))]).subarray(-256);
  }

  result(): RowCounts {
    return {
      tables: new Map(this.tables),
      completed: /-- Dump completed[^\n]*\n?\s*$/.test(this.tail.toString('latin1')),
    };
  }

  private byte(b: number): void {
    const prev = this.prev;
    const prev2 = this.prev2;
    this.prev2 = prev;
    this.prev = b;

    if (this.mode === 'delimiter') {
      if (b === NL) {
        const text = Buffer.from(this.delimiterLine).toString('latin1').trim();
        if (text.length > 0) this.delimiter = Buffer.from(text, 'latin1');
        this.delimiterLine = [];
        this.mode = 'start';
        this.matched = 0;
      } else {
        this.delimiterLine.push(b);
      }
      return;
    }
    if (this.lineComment) {
      if (b === NL) this.lineComment = false;
      // A comment ends nothing: its bytes must not start or extend a delimiter match.
      this.prev = 0;
      return;
    }
    if (this.blockComment) {
      if (b === SLASH && prev === STAR) {
        this.blockComment = false;
        this.prev = 0;
      }
      return;
    }
    if (this.quote !== 0) {
      if (this.escape) this.escape = false;
      else if (b === BACKSLASH && this.quote !== BT) this.escape = true;
      else if (b === this.quote) this.quote = 0;
      if (this.mode === 'head') this.pushHead(b);
      return;
    }

    // Outside strings and comments.
    if (b === STAR && prev === SLASH) {
      this.blockComment = true;
      if (this.mode === 'head') {
        this.head.pop();
        if (this.head.length === 0) this.mode = 'start';
      }
      if (this.matched > 0) this.matched = 0;
      this.prev = 0;
      return;
    }
    if ((b === 0x20 || b === 0x09 || b === NL) && prev === DASH && prev2 === DASH) {
      this.lineComment = b !== NL;
      if (this.mode === 'head') {
        this.head.pop();
        this.head.pop();
        if (this.head.length === 0) this.mode = 'start';
      }
      return;
    }

    if (b === this.delimiter[this.matched]) {
      this.matched++;
      if (this.matched === this.delimiter.length) {
        this.endStatement();
        this.prev = 0;
      }
      return;
    }
    this.matched = b === this.delimiter[0] ? 1 : 0;
    if (this.matched === 1) return;

    if (b === SQ || b === DQ || b === BT) this.quote = b;

    switch (this.mode) {
      case 'start':
        if (b === 0x20 || b === 0x09 || b === NL || b === 0x0d) return;
        this.mode = 'head';
        this.head = [b];
        return;
      case 'head':
        this.pushHead(b);
        if (this.head.length === 10 && /^DELIMITER\s$/i.test(Buffer.from(this.head).toString('latin1'))) {
          this.mode = 'delimiter';
          this.delimiterLine = [];
          return;
        }
        if (b === LP) this.recognise();
        return;
      case 'values':
        if (b === LP) {
          if (this.depth === 0) this.tables.set(this.table, (this.tables.get(this.table) ?? 0) + 1);
          this.depth++;
        } else if (b === RP) {
          this.depth--;
        }
        return;
      default:
        return;
    }
  }

  private pushHead(b: number): void {
    this.head.push(b);
    if (this.head.length > HEAD_LIMIT) {
      this.mode = 'body';
      this.head = [];
    } else if (this.head.length <= 10 && this.quote === 0) {
      // Give up early on statements that can be none of the three we read.
      if (!MAYBE_INTERESTING.test(Buffer.from(this.head).toString('latin1'))) {
        this.mode = 'body';
        this.head = [];
      }
    }
  }

  private recognise(): void {
    const text = Buffer.from(this.head).toString('utf8');
    const insert = INSERT_HEAD.exec(text);
    if (insert) {
      this.table = insert[1]!.replace(/``/g, '`');
      if (!this.tables.has(this.table)) this.tables.set(this.table, 0);
      this.tables.set(this.table, this.tables.get(this.table)! + 1);
      this.depth = 1;
      this.mode = 'values';
      this.head = [];
      return;
    }
    const create = CREATE_HEAD.exec(text);
    if (create) {
      const name = create[1]!.replace(/``/g, '`');
      if (!this.tables.has(name)) this.tables.set(name, 0);
      this.mode = 'body';
      this.head = [];
    }
  }

  private endStatement(): void {
    this.mode = 'start';
    this.head = [];
    this.depth = 0;
    this.matched = 0;
    this.escape = false;
  }
}

/** A pass-through stream that counts rows of the dump flowing through it. */
export class RowCountingStream extends Transform {
  readonly counter = new SqlRowCounter();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counter.write(chunk);
    callback(null, chunk);
  }
}
