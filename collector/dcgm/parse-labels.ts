import {
  BACKSLASH,
  COMMA,
  copyString,
  EQUALS,
  isLabelNameChar,
  isLabelNameStart,
  QUOTE,
  RBRACE,
  skipBlanks,
} from './parse-chars.js';
import { buildCanonicalKey, getLastShape, isNameAt, type LabelShape, useShape } from './parse-label-shape.js';
import type { Labels } from './parse-types.js';

export const EMPTY_LABELS: Labels = Object.freeze({});

export type LabelBlockResult =
  | { ok: true; labels: Labels; canonicalKey: string; end: number }
  | { ok: false; reason: string };

interface LabelValue {
  value: string;
  /** The text between the quotes, escapes as written. */
  raw: string;
  end: number;
}

/**
 * Parses the label block that opens at text[open] === '{' and must close before `stop`.
 * `end` is the index just past the closing brace. The slow path: callers look the block up in a cache first.
 */
export function parseLabelBlock(text: string, open: number, stop: number): LabelBlockResult {
  const expected = getLastShape().names;
  const names: string[] = [];
  const values: string[] = [];
  const rawValues: string[] = [];
  let matchedLast = true;
  let i = skipBlanks(text, open + 1, stop);
  while (i < stop && text.charCodeAt(i) !== RBRACE) {
    const known: string = (matchedLast && expected[names.length]) || '';
    matchedLast = known !== '' && isNameAt(text, i, known);
    const nameEnd = matchedLast ? i + known.length : scanLabelName(text, i, stop);
    if (nameEnd === i) return fail(`invalid label name starting ${quoteSnippet(text, i, stop)}`);
    const name = matchedLast ? known : text.slice(i, nameEnd);
    i = skipBlanks(text, nameEnd, stop);
    if (i >= stop || text.charCodeAt(i) !== EQUALS) return fail(`label "${name}" has no "=" after its name`);
    i = skipBlanks(text, i + 1, stop);
    if (i >= stop || text.charCodeAt(i) !== QUOTE) return fail(`label "${name}" value is not quoted`);
    const value = readQuotedValue(text, i + 1, stop);
    if (typeof value === 'string') return fail(value);
    names.push(name);
    values.push(value.value);
    rawValues.push(value.raw);
    i = skipBlanks(text, value.end, stop);
    if (i < stop && text.charCodeAt(i) === COMMA) i = skipBlanks(text, i + 1, stop);
    else if (i < stop && text.charCodeAt(i) !== RBRACE)
      return fail('expected "," or "}" after a label value');
  }
  if (i >= stop) return fail('label block has no closing "}"');
  if (names.length === 0) return { ok: true, labels: EMPTY_LABELS, canonicalKey: '', end: i + 1 };
  const shape = useShape(names, matchedLast);
  if (typeof shape === 'string') return fail(shape);
  const canonicalKey = buildCanonicalKey(shape, rawValues);
  return { ok: true, labels: createLabels(shape, values), canonicalKey, end: i + 1 };
}

function createLabels(shape: LabelShape, values: string[]): Labels {
  const labels: Record<string, string> = {};
  shape.names.forEach((name, k) => {
    setLabel(labels, name, values[k] ?? '');
  });
  return Object.freeze(labels);
}

function setLabel(labels: Record<string, string>, name: string, value: string): void {
  // An own property: assigning `__proto__` would replace the prototype instead.
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true });
  else labels[name] = value;
}

function fail(reason: string): LabelBlockResult {
  return { ok: false, reason };
}

function scanLabelName(text: string, from: number, stop: number): number {
  if (from >= stop || !isLabelNameStart(text.charCodeAt(from))) return from;
  let i = from + 1;
  while (i < stop && isLabelNameChar(text.charCodeAt(i))) i++;
  return i;
}

/** Reads up to the closing quote from just after the opening one; a string result is the failure reason. */
function readQuotedValue(text: string, from: number, stop: number): LabelValue | string {
  const close = findClosingQuote(text, from, stop);
  if (close < 0) return 'label value has no closing quote';
  const raw = text.slice(from, close);
  const value = raw.indexOf('\\') < 0 ? copyString(raw) : unescapeLabelValue(raw);
  return value === undefined ? 'label value has an invalid escape sequence' : { value, raw, end: close + 1 };
}

// indexOf jumps to each quote natively; a quote preceded by an odd run of backslashes is escaped.
function findClosingQuote(text: string, from: number, stop: number): number {
  let quote = text.indexOf('"', from);
  while (quote >= 0 && quote < stop) {
    let before = quote - 1;
    while (before >= from && text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

function unescapeLabelValue(raw: string): string | undefined {
  const parts: string[] = [];
  let segmentStart = 0;
  let i = raw.indexOf('\\');
  while (i >= 0) {
    const escaped = unescapeChar(raw.charCodeAt(i + 1));
    if (escaped === undefined) return undefined;
    parts.push(raw.slice(segmentStart, i), escaped);
    segmentStart = i + 2;
    i = raw.indexOf('\\', segmentStart);
  }
  parts.push(raw.slice(segmentStart));
  return parts.join('');
}

function unescapeChar(code: number): string | undefined {
  if (code === BACKSLASH) return '\\';
  if (code === QUOTE) return '"';
  if (code === 110) return '\n';
  return undefined;
}

function quoteSnippet(text: string, from: number, stop: number): string {
  const snippet = text.slice(from, Math.min(stop, from + 20));
  return JSON.stringify(snippet);
}
