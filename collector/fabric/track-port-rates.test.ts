import { describe, expect, it } from 'vitest';
import { LinkRollupAccumulator } from './accumulate-link-rollups.js';
import { makeIbSnapshot } from './testing/ib-snapshot.js';
import { IbPortRateTracker } from './track-port-rates.js';

const t0 = 1_700_000_040_000;
const at = (i: number, bytes: number, linkDowned = 0, stateId = 4) =>
  makeIbSnapshot({
    timestampMs: t0 + i * 15_000,
    state: { id: stateId, name: stateId === 4 ? 'ACTIVE' : 'DOWN' },
    counters: { port_xmit_data: bytes, port_rcv_data: bytes, link_downed: linkDowned },
  });

describe('IbPortRateTracker', () => {
  it('gives no rates for the first reading of a port and rates from the second on', () => {
    const tracker = new IbPortRateTracker();
    expect(tracker.update([at(0, 0)])).toEqual([]);
    expect(tracker.update([at(1, 15e9)])[0]?.txBytesPerSecond).toBe(1e9);
  });

  it('ignores a repeated or older reading instead of dividing by a zero or negative interval', () => {
    const tracker = new IbPortRateTracker();
    tracker.update([at(0, 0), at(1, 15e9)]);
    expect(tracker.update([at(1, 15e9), at(0, 0)])).toEqual([]);
    expect(tracker.update([at(2, 30e9)])[0]?.txBytesPerSecond).toBe(1e9);
  });

  it('feeds a flapping link through to a flapping minute', () => {
    const tracker = new IbPortRateTracker();
    const acc = new LinkRollupAccumulator();
    const readings = [at(0, 0, 0), at(1, 1e9, 1, 1), at(2, 2e9, 1, 4), at(3, 3e9, 2, 1), at(4, 4e9, 3, 4)];
    for (const rates of tracker.update(readings)) acc.observe(rates);
    const rows = acc.takeDirty(t0 + 10 * 60_000, { includeOpen: true });
    // the readings span two minutes: the third down/up inside five minutes makes the first one flapping
    expect(rows.map((r) => r.flapping)).toEqual([true, true]);
    expect(rows.reduce((sum, r) => sum + r.linkDownedTotal, 0)).toBe(3);
    expect(rows.reduce((sum, r) => sum + r.stateChanges, 0)).toBe(4);
  });

  it('forgets ports it has not seen for a while', () => {
    const tracker = new IbPortRateTracker(60_000);
    tracker.update([at(0, 0)]);
    tracker.forgetStale(t0 + 120_000);
    expect(tracker.portCount).toBe(0);
  });
});
