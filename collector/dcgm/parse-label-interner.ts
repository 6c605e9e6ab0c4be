import { copyString } from './parse-chars.js';
import { getCanonicalLabelKey, rememberCanonicalLabelKey } from './parse-label-cache.js';
import { EMPTY_LABELS } from './parse-labels.js';
import type { LabelCache, Labels } from './parse-types.js';

/** A label block seen in this parse: its raw text, its shared label set, and an id per distinct label set. */
export interface LabelBlock {
  key: string;
  labels: Labels;
  /** Equal for equal label sets in any order, within one parse: dense from 0, for duplicate detection. */
  id: number;
}

/**
 * Finds the shared label set for a label block's text. Exporters print a family's series in the same order as
 * the family before (one per GPU), so the block at the same position there, then the previous line's, are
 * tried first by plain string comparison: V8 compares two 300-character strings several times faster than it
 * hashes one for a Map lookup (measured 90 ns against 500 ns). The cache is the fallback, and keeps new blocks.
 */
export class LabelInterner {
  // Two arrays reused for the whole parse, with their own lengths: truncating and regrowing them per family
  // showed up in profiles.
  private previous: LabelBlock[] = [];
  private previousLength = 0;
  private current: LabelBlock[] = [];
  private currentLength = 0;
  private readonly idsByCanonicalKey = new Map<string, number>();
  private empty: LabelBlock | undefined;

  /**
   * `keepsKeys`: the cache outlives this parse, so keys are copied before they go in; a key sliced from the
   * scrape text would keep the whole text alive.
   */
  constructor(
    private readonly cache: LabelCache,
    private readonly keepsKeys: boolean,
  ) {}

  /** Called when the metric name changes: the next block is compared with the first of the last family. */
  startFamily(): void {
    const recycled = this.previous;
    this.previous = this.current;
    this.previousLength = this.currentLength;
    this.current = recycled;
    this.currentLength = 0;
  }

  /** `key` is the raw block text, `{` to `}`; undefined when it was never seen (parse it, then `remember`). */
  find(key: string): LabelBlock | undefined {
    const position = this.currentLength;
    const predicted = position < this.previousLength ? this.previous[position] : undefined;
    if (predicted !== undefined && predicted.key === key) return this.push(predicted);
    // The previous line's block, when it belongs to the family before (exporters that print one GPU at a
    // time); within one family the same block again would be a duplicate series.
    const last =
      position === 0 && this.previousLength > 0 ? this.previous[this.previousLength - 1] : undefined;
    if (last !== undefined && last.key === key) return this.push(last);
    const labels = this.cache.get(key);
    return labels === undefined
      ? undefined
      : this.push(this.createBlock(key, labels, getCanonicalLabelKey(labels)));
  }

  /** For a line without a label block. */
  findEmpty(): LabelBlock {
    this.empty ??= this.createBlock('', EMPTY_LABELS, getCanonicalLabelKey(EMPTY_LABELS));
    return this.push(this.empty);
  }

  /** Keeps a newly parsed block; pass the same `key` string given to `find`, whose hash V8 has cached. */
  remember(key: string, labels: Labels, canonicalKey: string): LabelBlock {
    if (this.keepsKeys) {
      // Only sets that outlive the parse get their key memoised (a WeakMap entry costs the GC on every parse).
      rememberCanonicalLabelKey(labels, canonicalKey);
      this.cache.set(copyString(key), labels);
    } else {
      this.cache.set(key, labels);
    }
    return this.push(this.createBlock(key, labels, canonicalKey));
  }

  private push(block: LabelBlock): LabelBlock {
    this.current[this.currentLength++] = block;
    return block;
  }

  private createBlock(key: string, labels: Labels, canonicalKey: string): LabelBlock {
    let id = this.idsByCanonicalKey.get(canonicalKey);
    if (id === undefined) {
      id = this.idsByCanonicalKey.size;
      this.idsByCanonicalKey.set(canonicalKey, id);
    }
    return { key, labels, id };
  }
}
