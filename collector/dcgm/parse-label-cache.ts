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
 * A key equal for equal label sets whatever their order: the sorted `name="escaped value"` pairs. The parser
 * records it when it creates a label set, from the raw text; other objects get it computed here once.
 */
export function getCanonicalLabelKey(labels: Labels): string {
  let key = canonicalKeys.get(labels);
  if (key === undefined) {
    const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
    key = pairs.sort().join(',');
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
