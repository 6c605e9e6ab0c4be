import { CR, HASH, skipBlanks } from './parse-chars.js';
import { createIssueSink } from './parse-issues.js';
import { LabelInterner } from './parse-label-interner.js';
import { type CommentContext, parseCommentLine } from './parse-metadata.js';
import { parseSampleLine, type SampleContext } from './parse-sample.js';
import type { FamilyMeta, Labels, ParseOptions, ParseResult } from './parse-types.js';

export { formatParseIssue } from './parse-issues.js';
export { createLabelCache } from './parse-label-cache.js';
export type {
  FamilyMeta,
  LabelCache,
  Labels,
  MetricType,
  ParseIssue,
  ParseOptions,
  ParseResult,
  Sample,
} from './parse-types.js';

const DEFAULT_MAX_ISSUES = 100;

/**
 * Parses Prometheus text exposition (0.0.4, plus OpenMetrics `# EOF` / `# UNIT`). Never throws: each malformed
 * line becomes an issue and is skipped, so one bad line never loses the rest of a scrape.
 */
export function parseExposition(text: string, options: ParseOptions = {}): ParseResult {
  const issues = createIssueSink(options.maxIssues ?? DEFAULT_MAX_ISSUES);
  const families = new Map<string, FamilyMeta>();
  const comments: CommentContext = { text, families, issues };
  const ctx: SampleContext = {
    text,
    samples: [],
    issues,
    labels: new LabelInterner(
      options.labelCache ?? new Map<string, Labels>(),
      options.labelCache !== undefined,
    ),
    lastName: '',
    seen: new Map(),
    seriesName: '',
    seriesLines: [],
    nextBrace: -1,
  };

  const lines = parseLines(ctx, comments);
  return {
    samples: ctx.samples,
    issues: issues.issues,
    suppressedIssues: issues.suppressed,
    families,
    lines,
  };
}

// The loop stays alone in its own function: V8 optimises it on entry (OSR) and, with any code after the
// loop in the same function, kept deoptimising at that code on every call.
function parseLines(ctx: SampleContext, comments: CommentContext): number {
  const { text } = ctx;
  const length = text.length;
  let lineStart = 0;
  let line = 0;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = length;
    line++;
    const stop = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
    const first = skipBlanks(text, lineStart, stop);
    if (first < stop) {
      if (text.charCodeAt(first) !== HASH) parseSampleLine(ctx, first, stop, line);
      else ctx.lastName = parseCommentLine(comments, first, stop, line) ?? ctx.lastName;
    }
    lineStart = lineEnd + 1;
  }
  return line;
}
