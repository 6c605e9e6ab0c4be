import type { LinkObservation, LinkRollup, LinkType } from './types.js';

export const LINK_BUCKET_MS = 60_000;

export interface LinkRollupOptions {
  /** A link is flapping when it went down or changed state this many times… */
  flapThreshold?: number;
  /** …within this window. */
  flapWindowMs?: number;
  /** Closed buckets older than this that still could not be written are dropped (and counted). */
  maxBufferedMinutes?: number;
}

interface Stat {
  sum: number;
  count: number;
  max: number;
}

interface LinkBucket {
  times: number[];
  tx: Stat;
  rx: Stat;
  wait: Stat;
  utilizationMax: number;
  errorDeltas: Record<string, number>;
  errorTotal: number;
  linkDowned: number;
  stateChanges: number;
  flapping: boolean;
  counterIssues: number;
  suspect: number;
  version: number;
  writtenVersion: number;
}

interface LinkState {
  linkType: LinkType;
  node: string;
  device: string;
  port: number;
  lastTs: number;
  /** Times of recent downs and state changes, oldest first, for the flapping window. */
  events: number[];
  buckets: Map<number, LinkBucket>;
}

/**
 * Folds link observations (IB ports, NVLink links and GPU totals) into minute buckets, like the GPU
 * RollupAccumulator: a reading at or before the link's newest timestamp is ignored, so a replayed or
 * retried batch never counts twice; the writer takes dirty buckets, upserts them and confirms.
 */
export class LinkRollupAccumulator {
  private readonly links = new Map<string, LinkState>();
  private readonly flapThreshold: number;
  private readonly flapWindowMs: number;
  private readonly maxBufferedMinutes: number;
  droppedBuckets = 0;

  constructor(options: LinkRollupOptions = {}) {
    this.flapThreshold = options.flapThreshold ?? 3;
    this.flapWindowMs = options.flapWindowMs ?? 5 * 60_000;
    this.maxBufferedMinutes = options.maxBufferedMinutes ?? 120;
  }

  get linkCount(): number {
    return this.links.size;
  }

  /** Returns false when the observation was a duplicate or out of order and so ignored. */
  observe(o: LinkObservation): boolean {
    const link = this.linkFor(o);
    if (o.timestampMs <= link.lastTs) return false;
    link.lastTs = o.timestampMs;
    const bucket = this.bucketFor(link, o.timestampMs);
    add(bucket.tx, o.txBytesPerSecond);
    add(bucket.rx, o.rxBytesPerSecond);
    add(bucket.wait, o.xmitWaitTicksPerSecond);
    if (o.utilizationRatio !== null && o.utilizationRatio > bucket.utilizationMax) {
      bucket.utilizationMax = o.utilizationRatio;
    }
    for (const name in o.errorDeltas) {
      const delta = o.errorDeltas[name] ?? 0;
      bucket.errorDeltas[name] = (bucket.errorDeltas[name] ?? 0) + delta;
      bucket.errorTotal += delta;
    }
    bucket.linkDowned += o.linkDownedDelta;
    if (o.stateChanged) bucket.stateChanges++;
    bucket.counterIssues += o.counterIssues;
    if (o.suspect) bucket.suspect++;
    if (this.recordFlaps(link, o)) bucket.flapping = true;
    return true;
  }

  /** Rows for buckets changed since last written; open buckets (still filling) only when asked. */
  takeDirty(nowMs: number, options: { includeOpen: boolean; graceMs?: number }): LinkRollup[] {
    const closedBefore = nowMs - (options.graceMs ?? 5_000) - LINK_BUCKET_MS;
    const rows: LinkRollup[] = [];
    for (const link of this.links.values()) {
      for (const [bucketMs, bucket] of link.buckets) {
        if (bucket.version === bucket.writtenVersion) continue;
        if (!options.includeOpen && bucketMs > closedBefore) continue;
        rows.push(toRow(link, bucketMs, bucket));
      }
    }
    return rows;
  }

  /** Marks rows as stored, then forgets closed buckets unchanged since they were stored. */
  confirmWritten(rows: readonly LinkRollup[], nowMs: number, graceMs = 5_000): void {
    for (const row of rows) {
      const bucket = this.links.get(linkKey(row))?.buckets.get(row.bucketStartMs);
      if (bucket) bucket.writtenVersion = Math.max(bucket.writtenVersion, row.version);
    }
    const closedBefore = nowMs - graceMs - LINK_BUCKET_MS;
    for (const link of this.links.values()) {
      for (const [bucketMs, bucket] of link.buckets) {
        if (bucketMs <= closedBefore && bucket.writtenVersion === bucket.version)
          link.buckets.delete(bucketMs);
      }
    }
  }

  /** Drops buckets too old to keep waiting for a database that is away; returns how many. */
  evictStale(nowMs: number): number {
    const oldest = nowMs - this.maxBufferedMinutes * LINK_BUCKET_MS;
    let dropped = 0;
    for (const link of this.links.values()) {
      for (const bucketMs of link.buckets.keys()) {
        if (bucketMs < oldest) {
          link.buckets.delete(bucketMs);
          dropped++;
        }
      }
    }
    this.droppedBuckets += dropped;
    return dropped;
  }

  /** Forgets links not seen for a while (HCA replaced, node gone) once nothing is left to write. */
  forgetIdleLinks(nowMs: number, idleMs: number): void {
    for (const [key, link] of this.links) {
      if (link.buckets.size === 0 && link.lastTs < nowMs - idleMs) this.links.delete(key);
    }
  }

  /** Adds this reading's downs/state changes to the window; true when the link now counts as flapping. */
  private recordFlaps(link: LinkState, o: LinkObservation): boolean {
    // A down seen as a state change and as a link_downed increment is one event, not two.
    const events = Math.min(Math.max(o.linkDownedDelta, o.stateChanged ? 1 : 0), this.flapThreshold);
    for (let i = 0; i < events; i++) link.events.push(o.timestampMs);
    const windowStart = o.timestampMs - this.flapWindowMs;
    while (link.events.length > 0 && (link.events[0] ?? 0) <= windowStart) link.events.shift();
    return link.events.length >= this.flapThreshold;
  }

  private linkFor(o: LinkObservation): LinkState {
    const key = linkKey(o);
    let link = this.links.get(key);
    if (!link) {
      link = {
        linkType: o.linkType,
        node: o.node,
        device: o.device,
        port: o.port,
        lastTs: -Infinity,
        events: [],
        buckets: new Map(),
      };
      this.links.set(key, link);
    }
    return link;
  }

  private bucketFor(link: LinkState, tsMs: number): LinkBucket {
    const bucketMs = tsMs - (((tsMs % LINK_BUCKET_MS) + LINK_BUCKET_MS) % LINK_BUCKET_MS);
    let bucket = link.buckets.get(bucketMs);
    if (!bucket) {
      bucket = emptyBucket();
      link.buckets.set(bucketMs, bucket);
    }
    bucket.version++;
    bucket.times.push(tsMs);
    return bucket;
  }
}

function linkKey(o: { linkType: LinkType; node: string; device: string; port: number }): string {
  return `${o.linkType}\u0000${o.node}\u0000${o.device}\u0000${o.port}`;
}

function emptyStat(): Stat {
  return { sum: 0, count: 0, max: Number.NEGATIVE_INFINITY };
}

function emptyBucket(): LinkBucket {
  return {
    times: [],
    tx: emptyStat(),
    rx: emptyStat(),
    wait: emptyStat(),
    utilizationMax: Number.NEGATIVE_INFINITY,
    errorDeltas: {},
    errorTotal: 0,
    linkDowned: 0,
    stateChanges: 0,
    flapping: false,
    counterIssues: 0,
    suspect: 0,
    version: 0,
    writtenVersion: 0,
  };
}

function add(stat: Stat, value: number | null): void {
  if (value === null) return;
  stat.sum += value;
  stat.count++;
  if (value > stat.max) stat.max = value;
}

function toRow(link: LinkState, bucketMs: number, b: LinkBucket): LinkRollup {
  return {
    linkType: link.linkType,
    node: link.node,
    device: link.device,
    port: link.port,
    bucketStartMs: bucketMs,
    sampleCount: b.times.length,
    txBytesPerSecondMean: b.tx.count > 0 ? b.tx.sum / b.tx.count : null,
    txBytesPerSecondMax: b.tx.count > 0 ? b.tx.max : null,
    rxBytesPerSecondMean: b.rx.count > 0 ? b.rx.sum / b.rx.count : null,
    rxBytesPerSecondMax: b.rx.count > 0 ? b.rx.max : null,
    utilizationMaxRatio: Number.isFinite(b.utilizationMax) ? b.utilizationMax : null,
    xmitWaitTicksPerSecondMean: b.wait.count > 0 ? b.wait.sum / b.wait.count : null,
    errorDeltas: { ...b.errorDeltas },
    errorTotal: b.errorTotal,
    linkDownedTotal: b.linkDowned,
    stateChanges: b.stateChanges,
    flapping: b.flapping,
    counterIssues: b.counterIssues,
    suspectSamples: b.suspect,
    version: b.version,
  };
}
