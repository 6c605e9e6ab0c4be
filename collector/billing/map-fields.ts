import { type Decimal, parseDecimal } from '../../core/decimal.js';
import type { RowIssue } from './types.js';

/** Column positions by name; the first of several aliases present wins (FOCUS versions, CUR 1 vs 2). */
export class Header {
  private readonly index = new Map<string, number>();

  constructor(names: readonly string[]) {
    names.forEach((name, i) => {
      const key = name.trim();
      if (!this.index.has(key)) this.index.set(key, i);
    });
  }

  find(...aliases: string[]): { name: string; at: number } | undefined {
    for (const name of aliases) {
      const at = this.index.get(name);
      if (at !== undefined) return { name, at };
    }
    return undefined;
  }

  /** Every column whose name starts with prefix, with the rest of the name. */
  withPrefix(prefix: string): { key: string; at: number }[] {
    return [...this.index]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, at]) => ({ key: name.slice(prefix.length), at }));
  }
}

export type Column = { name: string; at: number };

/**
 * Reads one record's fields, collecting issues with file, line, field and value. `NULL` counts as empty:
 * the FOCUS sample (and Athena exports) write it for absent values.
 */
export class RowReader {
  readonly issues: RowIssue[] = [];
  skipped = false;

  constructor(
    private readonly file: string,
    readonly line: number,
    private readonly fields: readonly string[],
  ) {}

  text(column: Column | undefined): string | null {
    if (!column) return null;
    const v = this.fields[column.at];
    return v === undefined || v === '' || v === 'NULL' ? null : v;
  }

  required(column: Column): string {
    const v = this.text(column);
    if (v === null) this.fail(column, '', 'is empty');
    return v ?? '';
  }

  decimal(column: Column | undefined): Decimal | null {
    const v = this.text(column);
    if (v === null || !column) return null;
    const d = parseDecimal(v);
    if (d === undefined) this.fail(column, v, 'is not a decimal number within numeric(24,10)');
    return d ?? null;
  }

  time(column: Column): number {
    const v = this.required(column);
    const ms = parseBillingTime(v);
    if (ms === undefined && v !== '') this.fail(column, v, 'is not a date-time');
    return ms ?? 0;
  }

  fail(column: Column, value: string, message: string): void {
    this.skipped = true;
    this.issues.push({ file: this.file, line: this.line, field: column.name, value, message, skipped: true });
  }

  warn(column: Column, value: string, message: string): void {
    this.issues.push({
      file: this.file,
      line: this.line,
      field: column.name,
      value,
      message,
      skipped: false,
    });
  }
}

const TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** ISO 8601 or `YYYY-MM-DD HH:MM:SS`; a time without an offset is UTC (FOCUS requires UTC). */
export function parseBillingTime(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  let iso = text.length > 10 ? text.replace(' ', 'T') : `${text}T00:00:00`;
  if (!m[1]) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

const CURRENCY = /^[A-Z]{3}$/;

export function isCurrencyCode(text: string): boolean {
  return CURRENCY.test(text);
}

/** Flags the first negative cost on a line that is not a credit, refund or adjustment; the line is still imported. */
export function checkNegativeCosts(
  reader: RowReader,
  costs: readonly (readonly [Column | undefined, Decimal | null])[],
  mayBeNegative: boolean,
): void {
  if (mayBeNegative) return;
  for (const [column, value] of costs) {
    if (column && value !== null && value < 0n) {
      reader.warn(
        column,
        reader.text(column) ?? '',
        'negative cost on a line that is not a credit or refund',
      );
      // one issue per line: Billed, Effective and List costs are usually negative together
      return;
    }
  }
}

/** The EC2 instance type from a usage type (`USE2-BoxUsage:g5.4xlarge`) or a charge description. */
export function findInstanceType(...texts: (string | null)[]): string | null {
  for (const t of texts) {
    if (!t) continue;
    const m =
      /(?:BoxUsage|SpotUsage|DedicatedUsage|HostUsage|ReservedHostUsage):([a-z0-9-]+\.[a-z0-9-]+)/.exec(t) ??
      /\b([a-z][a-z0-9-]*\d[a-z0-9-]*\.(?:\d*x?large|metal(?:-\d+xl)?|medium|small|micro|nano))\b.*\bInstance Hour/.exec(
        t,
      );
    if (m?.[1]) return m[1];
  }
  return null;
}
