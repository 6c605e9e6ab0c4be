import type { LabelCache, Labels } from './parse-types.js';

const DEFAULT_MAX_ENTRIES = 50_000;

/**
 * A bounded cache of label blocks. When full it is cleared rather than evicted entry by entry: refilling
 * costs one slow parse per distinct block, which is cheaper than LRU bookkeeping on every hit.
 */
export function createLabelCache(maxEntries: number = DEFAULT_MAX_ENTRIES): LabelCache {
  const entries = new Map<string, Labels>();
  return {
    get(text) {
      return entries.get(text);
    },
    set(text, labels) {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(text, labels);
    },
    get size() {
      return entries.size;
    },
  };
}

const canonicalKeys = new WeakMap<Labels, string>();

/**
 * A key equal for equal label sets whatever their order: the sorted names joined by ',', then each value as
 * written between its quotes (escapes have one spelling each), all joined by '"', which no raw value holds
 * unescaped. Memoised per label set; the parser records the key of sets it puts in a shared cache.
 */
export function getCanonicalLabelKey(labels: Labels): string {
  let key = canonicalKeys.get(labels);
  if (key === undefined) {
    const names = Object.keys(labels).sort();
    const parts = [names.join(',')];
    for (const name of names) parts.push(escapeLabelValue(labels[name] ?? ''));
    key = parts.join('"');
    canonicalKeys.set(labels, key);
  }
  return key;
}

export function rememberCanonicalLabelKey(labels: Labels, key: string): void {
  canonicalKeys.set(labels, key);
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}
