import { DOT, isDigit, MINUS, PLUS } from './parse-chars.js';

// Integers of up to 15 digits are exact in a double, so they can be summed digit by digit.
const MAX_EXACT_DIGITS = 15;

/**
 * Reads a Go `strconv.ParseFloat` value from text[from, to): decimal floats, `NaN`, `Inf`, `+Inf`, `-Inf`,
 * `Infinity` in any case. Returns undefined for anything else (hex, underscores, `N/A`, empty).
 */
export function parseSampleValue(text: string, from: number, to: number): number | undefined {
  if (to - from <= MAX_EXACT_DIGITS) {
    let n = 0;
    let i = from;
    for (; i < to; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === to && i > from) return n;
  }
  return isDecimalFloat(text, from, to) ? Number(text.slice(from, to)) : parseSpecialValue(text, from, to);
}

/** Reads an integer timestamp in milliseconds, optionally signed; undefined when it is not one. */
export function parseTimestampMs(text: string, from: number, to: number): number | undefined {
  let i = from;
  const sign = text.charCodeAt(i);
  if (sign === PLUS || sign === MINUS) i++;
  if (i === to) return undefined;
  for (let j = i; j < to; j++) {
    if (!isDigit(text.charCodeAt(j))) return undefined;
  }
  return Number(text.slice(from, to));
}

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?  — what Number() then reads exactly.
function isDecimalFloat(text: string, from: number, to: number): boolean {
  let i = from;
  const sign = text.charCodeAt(i);
  if (sign === PLUS || sign === MINUS) i++;
  const integerEnd = skipDigits(text, i, to);
  let digits = integerEnd - i;
  i = integerEnd;
  if (i < to && text.charCodeAt(i) === DOT) {
    const fractionEnd = skipDigits(text, i + 1, to);
    digits += fractionEnd - i - 1;
    i = fractionEnd;
  }
  if (digits === 0) return false;
  if (i < to && (text.charCodeAt(i) | 32) === 101) {
    i++;
    const exponentSign = text.charCodeAt(i);
    if (i < to && (exponentSign === PLUS || exponentSign === MINUS)) i++;
    const exponentEnd = skipDigits(text, i, to);
    if (exponentEnd === i) return false;
    i = exponentEnd;
  }
  return i === to;
}

function skipDigits(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isDigit(text.charCodeAt(i))) i++;
  return i;
}

function parseSpecialValue(text: string, from: number, to: number): number | undefined {
  if (to - from > 9) return undefined;
  const word = text.slice(from, to).toLowerCase();
  switch (word) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}
