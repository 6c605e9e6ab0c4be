export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const QUOTE = 34;
export const HASH = 35;
export const PLUS = 43;
export const COMMA = 44;
export const MINUS = 45;
export const DOT = 46;
export const COLON = 58;
export const EQUALS = 61;
export const BACKSLASH = 92;
export const UNDERSCORE = 95;
export const LBRACE = 123;
export const RBRACE = 125;

const NAME_START = 1;
const NAME_REST = 2;
const LABEL_START = 4;
const LABEL_REST = 8;

const charClasses = buildCharClasses();

function buildCharClasses(): Uint8Array {
  const table = new Uint8Array(128);
  const mark = (from: number, to: number, bits: number): void => {
    for (let c = from; c <= to; c++) table[c] = (table[c] ?? 0) | bits;
  };
  const all = NAME_START | NAME_REST | LABEL_START | LABEL_REST;
  mark(65, 90, all); // A-Z
  mark(97, 122, all); // a-z
  mark(UNDERSCORE, UNDERSCORE, all);
  mark(48, 57, NAME_REST | LABEL_REST); // 0-9
  mark(COLON, COLON, NAME_START | NAME_REST);
  return table;
}

// Codes >= 128 (and NaN past the end of the text) index out of the table and read as undefined.
export function isMetricNameStart(code: number): boolean {
  return ((charClasses[code] ?? 0) & NAME_START) !== 0;
}

export function isMetricNameChar(code: number): boolean {
  return ((charClasses[code] ?? 0) & NAME_REST) !== 0;
}

export function isLabelNameStart(code: number): boolean {
  return ((charClasses[code] ?? 0) & LABEL_START) !== 0;
}

export function isLabelNameChar(code: number): boolean {
  return ((charClasses[code] ?? 0) & LABEL_REST) !== 0;
}

export function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function skipBlanks(text: string, from: number, stop: number): number {
  let i = from;
  while (i < stop && isBlank(text.charCodeAt(i))) i++;
  return i;
}

export function findBlank(text: string, from: number, stop: number): number {
  let i = from;
  while (i < stop && !isBlank(text.charCodeAt(i))) i++;
  return i;
}

/**
 * A copy of a string that does not pin the scrape text. V8's `slice` of 13 or more characters is a view that
 * keeps the whole text alive, which label sets and cache keys must not do; slicing a concatenation instead
 * leaves a view of a new string one character longer (and costs a tenth of a JSON round trip).
 */
export function copyString(text: string): string {
  return text.length < 13 ? text : `${text} `.slice(0, -1);
}
