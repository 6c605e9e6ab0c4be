import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** One CSV record and the 1-based line where it starts (a quoted field may span lines). */
export interface CsvRow {
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

type Scanned = { fields: string[]; next: number; newlines: number } | undefined;

/**
 * Incremental RFC 4180 reader: text goes in piece by piece, whole records come out. Fields are sliced with
 * indexOf rather than built char by char; a record cut by a chunk boundary is re-read once the next chunk
 * arrives (only that record is carried, so memory stays at one chunk plus one record).
 */
export class CsvScanner {
  private carry = '';
  private line = 1;
  private started = false;

  push(text: string, final: boolean, out: CsvRow[]): void {
    let s = this.carry.length > 0 ? this.carry + text : text;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let pos = 0;
    while (pos < s.length) {
      const rec = scanRecord(s, pos, final, this.line);
      if (rec === undefined) break;
      // a blank line is no record (trailing newlines, spacing between exports)
      if (rec.fields.length > 1 || rec.fields[0] !== '') out.push({ line: this.line, fields: rec.fields });
      this.line += rec.newlines;
      pos = rec.next;
    }
    this.carry = pos < s.length ? s.slice(pos) : '';
    if (final && this.carry.length > 0)
      throw new CsvSyntaxError(this.line, 'incomplete record at end of input');
  }
}

function scanRecord(s: string, start: number, final: boolean, line: number): Scanned {
  const n = s.length;
  const fields: string[] = [];
  let pos = start;
  let newlines = 0;
  let eol = s.indexOf('\n', pos);
  for (;;) {
    if (pos < n && s.charCodeAt(pos) === QUOTE) {
      const q = scanQuoted(s, pos + 1, final, line);
      if (q === undefined) return undefined;
      fields.push(q.value);
      pos = q.end;
      if (q.newlines > 0) {
        newlines += q.newlines;
        eol = s.indexOf('\n', pos);
      }
      if (pos >= n) return final ? { fields, next: n, newlines } : undefined;
      const c = s.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      if (c === LF) return { fields, next: pos + 1, newlines: newlines + 1 };
      if (c === CR && pos + 1 >= n && !final) return undefined;
      if (c === CR && s.charCodeAt(pos + 1) === LF) return { fields, next: pos + 2, newlines: newlines + 1 };
      throw new CsvSyntaxError(line, `unexpected character after a closing quote in field ${fields.length}`);
    }
    if (eol === -1 && !final) return undefined;
    const end = eol === -1 ? n : eol;
    const comma = s.indexOf(',', pos);
    if (comma !== -1 && comma < end) {
      fields.push(s.slice(pos, comma));
      pos = comma + 1;
      continue;
    }
    fields.push(s.slice(pos, end > pos && s.charCodeAt(end - 1) === CR ? end - 1 : end));
    return eol === -1 ? { fields, next: n, newlines } : { fields, next: eol + 1, newlines: newlines + 1 };
  }
}

function scanQuoted(s: string, from: number, final: boolean, line: number) {
  let parts: string[] | undefined;
  let start = from;
  for (;;) {
    const q = s.indexOf('"', start);
    if (q === -1) {
      if (final) throw new CsvSyntaxError(line, 'unterminated quoted field');
      return undefined;
    }
    // a quote as the last char may be the first half of an escaped "" split across chunks
    if (q + 1 >= s.length && !final) return undefined;
    if (s.charCodeAt(q + 1) === QUOTE) {
      parts ??= [];
      parts.push(s.slice(from, q + 1));
      from = q + 2;
      start = from;
      continue;
    }
    const tail = s.slice(from, q);
    const value = parts ? parts.join('') + tail : tail;
    return { value, end: q + 1, newlines: countNewlines(value) };
  }
}

function countNewlines(value: string): number {
  let count = 0;
  for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) count++;
  return count;
}

/** Records in batches (one per input chunk): yielding per record would cost an await per row. */
export async function* readCsvRows(source: AsyncIterable<Buffer | string>): AsyncGenerator<CsvRow[]> {
  const scanner = new CsvScanner();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    const out: CsvRow[] = [];
    scanner.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), false, out);
    if (out.length > 0) yield out;
  }
  const out: CsvRow[] = [];
  scanner.push(decoder.decode(), true, out);
  if (out.length > 0) yield out;
}

/** The file's bytes, gunzipped when the name ends in .gz. */
export function openCsvFile(path: string): AsyncIterable<Buffer> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith('.gz')) return file;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // a read error must reach the consumer of the gunzip stream, else the import would hang
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}
