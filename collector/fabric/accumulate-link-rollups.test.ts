import { describe, expect, it } from 'vitest';
import { LINK_BUCKET_MS, LinkRollupAccumulator } from './accumulate-link-rollups.js';
import { makeLinkObservation } from './testing/link-observation.js';

// 1_700_000_040_000 is a minute boundary
const minute = 1_700_000_040_000;

describe('LinkRollupAccumulator', () => {
  it('keeps mean and max of each direction, max utilization and summed error deltas per minute', () => {
    const acc = new LinkRollupAccumulator();
    acc.observe(
      makeLinkObservation({
        timestampMs: minute,
        txBytesPerSecond: 1e9,
        utilizationRatio: 0.1,
        errorDeltas: { symbol_error: 2 },
      }),
    );
    acc.observe(
      makeLinkObservation({
        timestampMs: minute + 15_000,
        txBytesPerSecond: 3e9,
        utilizationRatio: 0.3,
        errorDeltas: { symbol_error: 1, out_of_sequence: 4 },
      }),
    );
    const [row, ...rest] = acc.takeDirty(minute + 2 * LINK_BUCKET_MS, { includeOpen: false });
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      linkType: 'infiniband',
      node: 'node-1',
      device: 'mlx5_0',
      port: 1,
      bucketStartMs: minute,
      sampleCount: 2,
      txBytesPerSecondMean: 2e9,
      txBytesPerSecondMax: 3e9,
      utilizationMaxRatio: 0.3,
      errorDeltas: { symbol_error: 3, out_of_sequence: 4 },
      errorTotal: 7,
      flapping: false,
    });
  });

  it('ignores a replayed observation so a retried batch never counts twice', () => {
    const acc = new LinkRollupAccumulator();
    const o = makeLinkObservation({
      timestampMs: minute,
      errorDeltas: { link_downed: 1 },
      linkDownedDelta: 1,
    });
    expect(acc.observe(o)).toBe(true);
    expect(acc.observe(o)).toBe(false);
    const [row] = acc.takeDirty(minute + 2 * LINK_BUCKET_MS, { includeOpen: false });
    expect(row?.sampleCount).toBe(1);
    expect(row?.errorTotal).toBe(1);
  });

  it('marks a link flapping after three downs within five minutes, and not after two', () => {
    const acc = new LinkRollupAccumulator();
    acc.observe(makeLinkObservation({ timestampMs: minute, linkDownedDelta: 1, stateChanged: true }));
    acc.observe(makeLinkObservation({ timestampMs: minute + 60_000, linkDownedDelta: 1 }));
    let rows = acc.takeDirty(minute + 10 * LINK_BUCKET_MS, { includeOpen: true });
    expect(rows.some((r) => r.flapping)).toBe(false);
    acc.observe(makeLinkObservation({ timestampMs: minute + 120_000, stateChanged: true }));
    rows = acc.takeDirty(minute + 10 * LINK_BUCKET_MS, { includeOpen: true });
    expect(rows.find((r) => r.bucketStartMs === minute + 120_000)?.flapping).toBe(true);
  });

  it('does not call a link flapping when its downs are further apart than the window', () => {
    const acc = new LinkRollupAccumulator({ flapThreshold: 2, flapWindowMs: 60_000 });
    acc.observe(makeLinkObservation({ timestampMs: minute, linkDownedDelta: 1 }));
    acc.observe(makeLinkObservation({ timestampMs: minute + 120_000, linkDownedDelta: 1 }));
    const rows = acc.takeDirty(minute + 10 * LINK_BUCKET_MS, { includeOpen: true });
    expect(rows.map((r) => r.flapping)).toEqual([false, false]);
  });

  it('counts state changes and readings with counter issues in the minute', () => {
    const acc = new LinkRollupAccumulator();
    acc.observe(
      makeLinkObservation({
        timestampMs: minute,
        stateChanged: true,
        counterIssues: 1,
        txBytesPerSecond: null,
      }),
    );
    const [row] = acc.takeDirty(minute, { includeOpen: true });
    expect(row).toMatchObject({
      stateChanges: 1,
      counterIssues: 1,
      txBytesPerSecondMean: null,
      txBytesPerSecondMax: null,
    });
  });

  it('keeps IB ports, NVLink links and GPU totals apart', () => {
    const acc = new LinkRollupAccumulator();
    acc.observe(makeLinkObservation({ timestampMs: minute }));
    acc.observe(makeLinkObservation({ timestampMs: minute, linkType: 'nvlink', device: 'GPU-1', port: -1 }));
    acc.observe(makeLinkObservation({ timestampMs: minute, linkType: 'nvlink', device: 'GPU-1', port: 0 }));
    expect(acc.linkCount).toBe(3);
  });

  it('forgets closed minutes once written and unchanged, and writes an open one again when it changes', () => {
    const acc = new LinkRollupAccumulator();
    acc.observe(makeLinkObservation({ timestampMs: minute }));
    const open = acc.takeDirty(minute + 1_000, { includeOpen: true });
    acc.confirmWritten(open, minute + 1_000);
    expect(acc.takeDirty(minute + 1_000, { includeOpen: true })).toEqual([]);
    acc.observe(makeLinkObservation({ timestampMs: minute + 15_000 }));
    const again = acc.takeDirty(minute + 2 * LINK_BUCKET_MS, { includeOpen: false });
    expect(again.map((r) => r.sampleCount)).toEqual([2]);
    acc.confirmWritten(again, minute + 2 * LINK_BUCKET_MS);
    expect(acc.takeDirty(minute + 2 * LINK_BUCKET_MS, { includeOpen: true })).toEqual([]);
    acc.forgetIdleLinks(minute + 100 * LINK_BUCKET_MS, LINK_BUCKET_MS);
    expect(acc.linkCount).toBe(0);
  });

  it('drops buckets older than the buffer limit and counts them', () => {
    const acc = new LinkRollupAccumulator({ maxBufferedMinutes: 2 });
    acc.observe(makeLinkObservation({ timestampMs: minute }));
    expect(acc.evictStale(minute + 5 * LINK_BUCKET_MS)).toBe(1);
    expect(acc.droppedBuckets).toBe(1);
  });
});
