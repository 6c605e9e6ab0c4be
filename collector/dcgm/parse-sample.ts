import { copyString, findBlank, isBlank, LBRACE, RBRACE, skipBlanks } from './parse-chars.js';
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
}

/** Parses the sample line text[start, stop) (no leading blanks, no line break) into ctx.samples or an issue. */
export function parseSampleLine(ctx: SampleContext, start: number, stop: number, line: number): void {
  const reason = readSample(ctx, start, stop, line);
  if (reason !== undefined) ctx.issues.add(line, reason, ctx.text, start, stop);
}

/** Appends the sample to ctx.samples, or returns why the line is not one. */
function readSample(ctx: SampleContext, start: number, stop: number, line: number): string | undefined {
  const { text } = ctx;

  const last = ctx.lastName;
  let i = start + last.length;
  let name = last;
  if (!(last !== '' && text.slice(start, i) === last && (i === stop || isNameEnd(text.charCodeAt(i))))) {
    i = scanMetricName(text, start, stop);
    if (i === start || (i < stop && !isNameEnd(text.charCodeAt(i)))) return 'invalid metric name';
    name = copyString(text.slice(start, i));
    ctx.lastName = name;
  }
  if (name !== ctx.seriesName) startSeries(ctx, name);

  i = skipBlanks(text, i, stop);
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

function isNameEnd(code: number): boolean {
  return code === LBRACE || isBlank(code);
}

/** The label block opening at text[open]: its text runs to open + key.length. A string is why it is invalid. */
function readLabels(ctx: SampleContext, open: number, stop: number): LabelBlock | string {
  const { text } = ctx;
  let close = stop - 1;
  while (close > open && text.charCodeAt(close) !== RBRACE) close--;
  const key = close > open ? text.slice(open, close + 1) : '';
  if (key !== '') {
    // A known key closed at its last brace when it was first parsed, so identical text here closes there too.
    const known = ctx.labels.find(key);
    if (known !== undefined) return known;
  }
  const parsed = parseLabelBlock(text, open, stop);
  if (!parsed.ok) return parsed.reason;
  return ctx.labels.remember(parsed.end === close + 1 ? key : text.slice(open, parsed.end), parsed.labels);
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
