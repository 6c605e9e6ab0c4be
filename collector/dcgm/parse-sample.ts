import { copyString, findBlank, isBlank, LBRACE, skipBlanks } from './parse-chars.js';
import type { IssueSink } from './parse-issues.js';
import type { LabelBlock, LabelInterner } from './parse-label-interner.js';
import { parseLabelBlock } from './parse-labels.js';
import { scanMetricName } from './parse-metadata.js';
import type { Sample } from './parse-types.js';
import { parseSampleValue, parseTimestampMs } from './parse-value.js';

const MAX_TOKEN_IN_REASON = 40;

export interface SampleContext {
  text: string;
  samples: Sample[];
  issues: IssueSink;
  labels: LabelInterner;
  /** The last metric name read (from a sample or a HELP/TYPE line); exporters print a family's lines together. */
  lastName: string;
  /** Per metric name, the line that first had each label set, indexed by the interner's label-set id. */
  seen: Map<string, number[]>;
  /** The metric name of the previous sample line, and its entry in `seen`. */
  seriesName: string;
  seriesLines: number[];
  /** Cache for findBrace. */
  nextBrace: number;
}

/** Parses the sample line text[start, stop) (no leading blanks, no line break) into ctx.samples or an issue. */
export function parseSampleLine(ctx: SampleContext, start: number, stop: number, line: number): void {
  const reason = readSample(ctx, start, stop, line);
  if (reason !== undefined) ctx.issues.add(line, reason, ctx.text, start, stop);
}

/** Appends the sample to ctx.samples, or returns why the line is not one. */
function readSample(ctx: SampleContext, start: number, stop: number, line: number): string | undefined {
  const { text } = ctx;
  const nameEnd = readMetricName(ctx, start, stop);
  if (nameEnd < 0) return 'invalid metric name';
  const name = ctx.lastName;
  if (name !== ctx.seriesName) startSeries(ctx, name);

  let i = skipBlanks(text, nameEnd, stop);
  let block: LabelBlock;
  if (i < stop && text.charCodeAt(i) === LBRACE) {
    const found = readLabels(ctx, i, stop);
    if (typeof found === 'string') return found;
    block = found;
    i += block.key.length;
  } else {
    block = ctx.labels.findEmpty();
  }

  const valueStart = skipBlanks(text, i, stop);
  if (valueStart >= stop) return 'missing value';
  const valueEnd = findBlank(text, valueStart, stop);
  const value = parseSampleValue(text, valueStart, valueEnd);
  if (value === undefined) return `value is not a number: ${quoteToken(text, valueStart, valueEnd)}`;

  let timestampMs: number | undefined;
  const timestampStart = skipBlanks(text, valueEnd, stop);
  if (timestampStart < stop) {
    const timestampEnd = findBlank(text, timestampStart, stop);
    timestampMs = parseTimestampMs(text, timestampStart, timestampEnd);
    if (timestampMs === undefined) {
      return `timestamp is not an integer: ${quoteToken(text, timestampStart, timestampEnd)}`;
    }
    if (skipBlanks(text, timestampEnd, stop) < stop) return 'unexpected text after timestamp';
  }

  const firstLine = ctx.seriesLines[block.id];
  if (firstLine !== undefined) return `duplicate series, first seen at line ${firstLine}`;
  ctx.seriesLines[block.id] = line;
  // Index assignment: V8 did not inline push here and called the generic builtin for every sample.
  const { samples } = ctx;
  samples[samples.length] = { name, labels: block.labels, value, timestampMs, line };
  return undefined;
}

/** Leaves the line's metric name in ctx.lastName and returns where it ends, or -1 when it is invalid. */
function readMetricName(ctx: SampleContext, start: number, stop: number): number {
  const { text, lastName } = ctx;
  const end = start + lastName.length;
  // One native comparison; the previous line almost always has the same name.
  if (
    lastName !== '' &&
    text.slice(start, end) === lastName &&
    (end === stop || isNameEnd(text.charCodeAt(end)))
  ) {
    return end;
  }
  const scanned = scanMetricName(text, start, stop);
  if (scanned === start || (scanned < stop && !isNameEnd(text.charCodeAt(scanned)))) return -1;
  ctx.lastName = copyString(text.slice(start, scanned));
  return scanned;
}

function isNameEnd(code: number): boolean {
  return code === LBRACE || isBlank(code);
}

/** The label block opening at text[open]: its text runs to open + key.length. A string is why it is invalid. */
function readLabels(ctx: SampleContext, open: number, stop: number): LabelBlock | string {
  const { text } = ctx;
  const close = findBrace(ctx, open);
  const key = close < stop ? text.slice(open, close + 1) : '';
  if (key !== '') {
    // Any candidate brace will do: a known key closed at its last brace when it was first parsed, so
    // identical text here closes there too. A `}` inside a value only costs a miss.
    const known = ctx.labels.find(key);
    if (known !== undefined) return known;
  }
  const parsed = parseLabelBlock(text, open, stop);
  if (!parsed.ok) return parsed.reason;
  const parsedKey = parsed.end === close + 1 ? key : text.slice(open, parsed.end);
  return ctx.labels.remember(parsedKey, parsed.labels, parsed.canonicalKey);
}

/**
 * The first `}` at or after `from`, or the text length when there is none. Positions only grow during a
 * parse, so the last answer is reused while it lies ahead: text without braces is searched once, not per line.
 */
function findBrace(ctx: SampleContext, from: number): number {
  if (ctx.nextBrace < from) {
    const found = ctx.text.indexOf('}', from);
    ctx.nextBrace = found < 0 ? ctx.text.length : found;
  }
  return ctx.nextBrace;
}

function startSeries(ctx: SampleContext, name: string): void {
  ctx.labels.startFamily();
  ctx.seriesName = name;
  let lines = ctx.seen.get(name);
  if (lines === undefined) {
    lines = [];
    ctx.seen.set(name, lines);
  }
  ctx.seriesLines = lines;
}

function quoteToken(text: string, from: number, to: number): string {
  const token = text.slice(from, Math.min(to, from + MAX_TOKEN_IN_REASON));
  return JSON.stringify(to - from > MAX_TOKEN_IN_REASON ? `${token}…` : token);
}
