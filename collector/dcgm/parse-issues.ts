import type { ParseIssue } from './parse-types.js';

const MAX_EXCERPT_CHARS = 120;
const ELLIPSIS = '…';

/** Collects issues up to a limit and counts the rest, so a garbage scrape cannot grow memory unbounded. */
export interface IssueSink {
  readonly issues: ParseIssue[];
  readonly suppressed: number;
  add(line: number, reason: string, text: string, from: number, to: number): void;
}

export function createIssueSink(maxIssues: number): IssueSink {
  const issues: ParseIssue[] = [];
  let suppressed = 0;
  return {
    issues,
    get suppressed() {
      return suppressed;
    },
    add(line, reason, text, from, to) {
      if (issues.length < maxIssues) issues.push({ line, reason, excerpt: excerptLine(text, from, to) });
      else suppressed++;
    },
  };
}

/** "http://n1:9400/metrics line 12: label value has no closing quote: DCGM_FI_DEV_GPU_UTIL{gpu=\"0" */
export function formatParseIssue(source: string, issue: ParseIssue): string {
  const head = `${source} line ${issue.line}: ${issue.reason}`;
  return issue.excerpt === '' ? head : `${head}: ${issue.excerpt}`;
}

/** text[from, to) with control characters escaped, cut to 120 characters with a trailing ellipsis. */
export function excerptLine(text: string, from: number, to: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = from; i < to; i++) {
    const part = escapeChar(text.charCodeAt(i), text[i] ?? '');
    if (length + part.length > MAX_EXCERPT_CHARS - (i + 1 < to ? ELLIPSIS.length : 0)) {
      parts.push(ELLIPSIS);
      break;
    }
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

function escapeChar(code: number, char: string): string {
  if (code === 9) return '\\t';
  if (code === 10) return '\\n';
  if (code === 13) return '\\r';
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code >= 0x80 && code <= 0x9f) return `\\u${code.toString(16).padStart(4, '0')}`;
  return char;
}
