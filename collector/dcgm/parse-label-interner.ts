import { copyString } from './parse-chars.js';
import { getCanonicalLabelKey } from './parse-label-cache.js';
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
 * tried first by plain string comparison: V8 compares two 300-character strings many times faster than it
 * hashes one for a Map lookup. The cache is the fallback, and is where new blocks are kept.
 */
export class LabelInterner {
  private previous: LabelBlock[] = [];
  private current: LabelBlock[] = [];
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
    this.current = recycled;
    recycled.length = 0;
  }

  /** `key` is the raw block text, `{` to `}`; undefined when it was never seen (parse it, then `remember`). */
  find(key: string): LabelBlock | undefined {
    const { previous, current } = this;
    const position = current.length;
    const predicted = previous[position];
    if (predicted !== undefined && predicted.key === key) return this.push(predicted);
    const last = position > 0 ? current[position - 1] : previous[previous.length - 1];
    if (last !== undefined && last.key === key) return this.push(last);
    const labels = this.cache.get(key);
    return labels === undefined ? undefined : this.push(this.createBlock(key, labels));
  }

  /** For a line without a label block. */
  findEmpty(): LabelBlock {
    this.empty ??= this.createBlock('', EMPTY_LABELS);
    return this.push(this.empty);
  }

  /** Keeps a newly parsed block; pass the same `key` string given to `find`, whose hash V8 has cached. */
  remember(key: string, labels: Labels): LabelBlock {
    this.cache.set(this.keepsKeys ? copyString(key) : key, labels);
    return this.push(this.createBlock(key, labels));
  }

  private push(block: LabelBlock): LabelBlock {
    const { current } = this;
    current[current.length] = block; // not push(): see parse-sample.ts
    return block;
  }

  private createBlock(key: string, labels: Labels): LabelBlock {
    const canonicalKey = getCanonicalLabelKey(labels);
    let id = this.idsByCanonicalKey.get(canonicalKey);
    if (id === undefined) {
      id = this.idsByCanonicalKey.size;
      this.idsByCanonicalKey.set(canonicalKey, id);
    }
    return { key, labels, id };
  }
}
