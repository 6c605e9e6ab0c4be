import { isLabelNameChar } from './parse-chars.js';

/**
 * The label names of a block, in order. One exporter prints every block with the same names in the same order,
 * so the names are matched against the last shape instead of being scanned and copied again, and the work of
 * sorting them for the canonical key is done once per shape.
 */
export interface LabelShape {
  /** Copies (not slices of a scrape), used as the property keys of every label set of this shape. */
  names: string[];
  /** Indexes into `names`, in sorted-name order. */
  order: number[];
  /** The sorted names joined by ',': the first part of a canonical key. */
  setKey: string;
}

let lastShape: LabelShape = { names: [], order: [], setKey: '' };

export function getLastShape(): LabelShape {
  return lastShape;
}

/** The shape for these names (the last one when they match it), or why the names are invalid. */
export function useShape(names: string[], matchedLast: boolean): LabelShape | string {
  if (matchedLast && names.length === lastShape.names.length) return lastShape;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `label "${name}" appears twice`;
    seen.add(name);
  }
  const copies = names.map(copyName);
  const order = copies.map((_, index) => index).sort((a, b) => compareNames(copies[a], copies[b]));
  lastShape = { names: copies, order, setKey: order.map((index) => copies[index]).join(',') };
  return lastShape;
}

/** Whether text at `at` holds exactly the label name `name` (not a longer name starting with it). */
export function isNameAt(text: string, at: number, name: string): boolean {
  const length = name.length;
  for (let k = 0; k < length; k++) {
    if (text.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  }
  return !isLabelNameChar(text.charCodeAt(at + length));
}

/** The canonical key of getCanonicalLabelKey, built from the raw values without sorting again. */
export function buildCanonicalKey(shape: LabelShape, rawValues: string[]): string {
  const parts: string[] = [shape.setKey];
  for (const index of shape.order) parts.push(rawValues[index] ?? '');
  return parts.join('"');
}

function compareNames(a: string | undefined, b: string | undefined): number {
  return (a ?? '') < (b ?? '') ? -1 : 1;
}

// A flat copy (JSON round trip) rather than a slice view: names live on in shapes and as property keys.
function copyName(name: string): string {
  return JSON.parse(JSON.stringify(name)) as string;
}
