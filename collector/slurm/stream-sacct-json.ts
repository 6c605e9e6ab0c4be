import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { field, readString } from './json-values.js';
import { parseSacctJob } from './parse-sacct-json.js';

export interface SacctMeta {
  /** `data_parser/v0.0.40` (23.02+) or `openapi/dbv0.0.38` (older). */
  dataParser: string | null;
  slurmRelease: string | null;
}

export type SacctStreamEvent =
  | { type: 'job'; record: JobRecord }
  | { type: 'issue'; issue: RecordIssue }
  | { type: 'meta'; meta: SacctMeta };

export interface SacctStreamOptions {
  source: string;
  cluster: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
/** Top-level values other than `jobs` (meta, errors, warnings) are small; a larger one is skipped, not buffered. */
const MAX_SIDE_VALUE_BYTES = 1 << 20;

/**
 * Streams `sacct --json`: a byte scanner tracks nesting and strings, cuts each element of the top-level `jobs`
 * array and parses it alone, so memory holds one job at a time whatever the input size. Records are yielded as
 * their object closes; a cut-off input yields every complete job before the cut and an issue naming the byte offset.
 */
export async function* streamSacctJson(
  input: AsyncIterable<Buffer | string>,
  options: SacctStreamOptions,
): AsyncGenerator<SacctStreamEvent> {
  const scanner = new SacctScanner(options);
  for await (const chunk of input) {
    yield* scanner.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  yield* scanner.finish();
}

class SacctScanner {
  private depth = 0;
  private inString = false;
  /** The byte after an odd run of backslashes at the end of the previous chunk is escaped. */
  private escapeNext = false;
  private offset = 0;
  private line = 1;
  private captureStart = -1;
  private captureParts: Buffer[] = [];
  private captureBytes = 0;
  private captureLine = 1;
  private captureKind: 'key' | 'job' | 'side' | null = null;
  private lastKey = '';
  private currentKey = '';
  private inJobs = false;
  private sawJobs = false;
  private finishedTop = false;
  private index = 0;
  private events: SacctStreamEvent[] = [];

  constructor(private readonly options: SacctStreamOptions) {}

  *push(buf: Buffer): Generator<SacctStreamEvent> {
    if (buf.length === 0) return;
    if (this.captureKind !== null) this.captureStart = 0;
    let i = 0;
    if (this.inString && this.escapeNext) {
      this.escapeNext = false;
      i = 1;
    }
    while (i < buf.length) {
      i = this.inString ? this.skipString(buf, i) : this.structural(buf, i);
      if (this.events.length > 0) {
        yield* this.events;
        this.events = [];
      }
    }
    if (this.captureKind !== null && this.captureStart >= 0)
      this.keepCapture(buf.subarray(this.captureStart));
    this.offset += buf.length;
  }

  *finish(): Generator<SacctStreamEvent> {
    if (!this.finishedTop) {
      const where = this.inJobs ? 'in the jobs array' : 'before the document closed';
      this.issue(
        null,
        `input is truncated at byte ${this.offset} (${where}); the ${this.index} complete jobs before it are kept`,
      );
    } else if (!this.sawJobs) {
      this.issue('jobs', 'document has no top-level jobs array');
    }
    yield* this.events;
    this.events = [];
  }

  /** Returns the index after the closing quote, or the chunk length when the string continues in the next chunk. */
  private skipString(buf: Buffer, from: number): number {
    let i = from;
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      if (q < 0) {
        let run = 0;
        for (let k = buf.length - 1; k >= i && buf[k] === BACKSLASH; k--) run++;
        this.escapeNext = run % 2 === 1;
        return buf.length;
      }
      let run = 0;
      for (let k = q - 1; k >= from && buf[k] === BACKSLASH; k--) run++;
      if (run % 2 === 0) {
        this.inString = false;
        if (this.captureKind === 'key') this.endKey(buf, q);
        return q + 1;
      }
      i = q + 1;
    }
  }

  private structural(buf: Buffer, from: number): number {
    for (let i = from; i < buf.length; i++) {
      const c = buf[i];
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.captureKind === null) this.beginCapture('key', i + 1);
        return i + 1;
      }
      if (c === NEWLINE) this.line++;
      else if (c === 0x7b || c === 0x5b) this.open(i, c);
      else if (c === 0x7d || c === 0x5d) this.close(buf, i);
      else if (c === 0x3a && this.depth === 1) this.currentKey = this.lastKey;
      if (this.events.length > 0) return i + 1;
    }
    return buf.length;
  }

  private open(i: number, c: number): void {
    this.depth++;
    if (this.depth === 2 && this.currentKey === 'jobs' && c === 0x5b) {
      this.inJobs = true;
      this.sawJobs = true;
    } else if (this.depth === 3 && this.inJobs) {
      this.beginCapture('job', i);
    } else if (this.depth === 2 && ['meta', 'errors', 'warnings'].includes(this.currentKey)) {
      this.beginCapture('side', i);
    }
  }

  private close(buf: Buffer, i: number): void {
    this.depth--;
    if (this.depth === 2 && this.captureKind === 'job') this.endJob(this.takeCapture(buf, i + 1));
    else if (this.depth === 1 && this.captureKind === 'side') this.endSide(this.takeCapture(buf, i + 1));
    else if (this.depth === 1 && this.inJobs) this.inJobs = false;
    else if (this.depth === 0) this.finishedTop = true;
  }

  private beginCapture(kind: 'key' | 'job' | 'side', at: number): void {
    this.captureKind = kind;
    this.captureStart = at;
    this.captureParts = [];
    this.captureBytes = 0;
    this.captureLine = this.line;
  }

  private keepCapture(part: Buffer): void {
    if (this.captureKind === 'side' && this.captureBytes + part.length > MAX_SIDE_VALUE_BYTES) return;
    // Copied: the caller may reuse the chunk's memory after we return.
    this.captureParts.push(Buffer.from(part));
    this.captureBytes += part.length;
  }

  private takeCapture(buf: Buffer, end: number): string {
    const tail = buf.subarray(Math.max(this.captureStart, 0), end);
    const text =
      this.captureParts.length === 0
        ? tail.toString('utf8')
        : Buffer.concat([...this.captureParts, tail]).toString('utf8');
    this.captureKind = null;
    this.captureStart = -1;
    this.captureParts = [];
    return text;
  }

  private endKey(buf: Buffer, end: number): void {
    this.lastKey = this.takeCapture(buf, end);
  }

  private endJob(text: string): void {
    this.index++;
    const place = { source: this.options.source, line: this.captureLine };
    let job: unknown;
    try {
      job = JSON.parse(text);
    } catch (e) {
      this.issue(
        null,
        `job ${this.index} of the jobs array is not valid JSON (${(e as Error).message}); skipped`,
        place.line,
      );
      return;
    }
    const parsed = parseSacctJob(job, { ...place, cluster: this.options.cluster });
    for (const issue of parsed.issues) this.events.push({ type: 'issue', issue });
    if (parsed.record !== null) this.events.push({ type: 'job', record: parsed.record });
  }

  private endSide(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.issue(
        this.currentKey,
        `top-level ${this.currentKey} is not valid JSON or over ${MAX_SIDE_VALUE_BYTES} bytes`,
      );
      return;
    }
    if (this.currentKey === 'meta') this.events.push({ type: 'meta', meta: readMeta(value) });
    else if (this.currentKey === 'errors' && Array.isArray(value)) {
      for (const e of value)
        this.issue('errors', `sacct reported: ${readString(field(e, 'description')) ?? JSON.stringify(e)}`);
    }
  }

  private issue(fieldName: string | null, message: string, line: number | null = null): void {
    this.events.push({
      type: 'issue',
      issue: { source: this.options.source, line, field: fieldName, jobId: null, message },
    });
  }
}

export function readMeta(meta: unknown): SacctMeta {
  return {
    dataParser:
      readString(field(meta, 'plugins', 'data_parser')) ??
      readString(field(meta, 'plugin', 'data_parser')) ??
      readString(field(meta, 'plugin', 'type')),
    slurmRelease: readString(field(meta, 'slurm', 'release')) ?? readString(field(meta, 'Slurm', 'release')),
  };
}
