import { createHash, type Hash } from 'node:crypto';
import { basename } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import { describeError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import { createCurRowMapper } from './map-cur-row.js';
import { createFocusRowMapper } from './map-focus-row.js';
import { CsvSyntaxError, openCsvFile, readCsvRows } from './parse-csv.js';
import { BillingImportRefused, type PeriodSummary, PeriodWriter } from './period-writer.js';
import type { BillingFormat, RowIssue, RowMapper } from './types.js';

export interface BillingImportSummary {
  file: string;
  format: BillingFormat;
  sha256: string;
  /** Data records read (header excluded). */
  rows: number;
  lines: number;
  skippedRows: number;
  issueCount: number;
  /** The first issues, in file order; `issueCount` counts them all. */
  issues: RowIssue[];
  periods: PeriodSummary[];
}

export interface ImportBillingOptions {
  format: BillingFormat;
  chunkSize?: number;
  /** Issues kept in the summary; the rest are only counted so memory stays flat on a bad file. */
  maxIssues?: number;
}

/** Reading the file failed (missing, unreadable, corrupt gzip): the import stops, nothing is written. */
class FileReadError extends Error {}

/**
 * Streams one FOCUS or CUR export into billing_imports / billing_lines, in one transaction: every billing
 * period it contains replaces the lines of that period's previous import, so re-importing a file or a restated
 * one never doubles a total. Bad rows become issues (file, line, field, value); an unreadable file, a missing
 * column, broken CSV or mixed currencies in one period return an error and leave the database as it was.
 */
export async function importBillingFile(
  deps: { db: Db; clock: Clock },
  path: string,
  options: ImportBillingOptions,
): Promise<Result<BillingImportSummary, string>> {
  const file = basename(path);
  const hash = createHash('sha256');
  try {
    const summary = await deps.db.transaction((tx) =>
      importRows(tx as unknown as Db, hashed(openCsvFile(path), hash), hash, file, options, deps.clock),
    );
    return ok(summary);
  } catch (error) {
    if (error instanceof BillingImportRefused) return err(error.message);
    if (error instanceof FileReadError) return err(`${path}: cannot read: ${error.message}`);
    if (error instanceof CsvSyntaxError) return err(`${file}: ${error.message}; nothing imported`);
    throw error;
  }
}

async function importRows(
  db: Db,
  source: AsyncIterable<Buffer>,
  hash: Hash,
  file: string,
  options: ImportBillingOptions,
  clock: Clock,
): Promise<BillingImportSummary> {
  const writer = new PeriodWriter(db, {
    format: options.format,
    sourceFile: file,
    now: new Date(clock.now()),
    chunkSize: options.chunkSize ?? 5000,
  });
  const maxIssues = options.maxIssues ?? 1000;
  const s: BillingImportSummary = {
    ...{ file, format: options.format, sha256: '', rows: 0, lines: 0, skippedRows: 0, issueCount: 0 },
    ...{ issues: [], periods: [] },
  };
  let mapper: RowMapper | undefined;
  let width = 0;
  for await (const batch of readCsvRows(source)) {
    for (const row of batch) {
      if (!mapper) {
        mapper = createMapper(options.format, row.fields, file);
        width = row.fields.length;
        continue;
      }
      s.rows++;
      const mapped =
        row.fields.length === width ? mapper(row.fields, row.line) : widthIssue(file, row, width);
      s.issueCount += mapped.issues.length;
      for (const issue of mapped.issues) if (s.issues.length < maxIssues) s.issues.push(issue);
      if (!mapped.line) {
        s.skippedRows++;
        continue;
      }
      s.lines++;
      const due = writer.add(mapped.line);
      if (due) for (const period of due) await writer.flush(period);
    }
  }
  if (!mapper) throw new BillingImportRefused(`${file}: empty file, no header`);
  s.sha256 = hash.digest('hex');
  s.periods = await writer.finish(s.sha256);
  return s;
}

function createMapper(format: BillingFormat, header: string[], file: string): RowMapper {
  const made = format === 'focus' ? createFocusRowMapper(header, file) : createCurRowMapper(header, file);
  if (!made.ok) throw new BillingImportRefused(`${made.error}; nothing imported`);
  return made.value;
}

function widthIssue(file: string, row: { line: number; fields: string[] }, width: number) {
  const message = `has ${row.fields.length} fields, the header has ${width}`;
  const issue = { file, line: row.line, field: '(record)', value: '', message, skipped: true };
  return { line: undefined, issues: [issue] };
}

/** Hashes the bytes as they pass (after gunzip) and turns stream failures into FileReadError. */
async function* hashed(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await it.next();
    } catch (error) {
      throw new FileReadError(describeError(error));
    }
    if (next.done) return;
    hash.update(next.value);
    yield next.value;
  }
}
