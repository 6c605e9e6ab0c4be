import { describe, expect, it } from 'vitest';
import { computePortRates } from './compute-port-rates.js';
import { makeIbSnapshot } from './testing/ib-snapshot.js';

const t0 = 1_700_000_000_000;

describe('computePortRates', () => {
  it('divides byte deltas by the interval and compares the busier direction with the link rate', () => {
    const before = makeIbSnapshot({ timestampMs: t0 });
    const after = makeIbSnapshot({
      timestampMs: t0 + 15_000,
      counters: {
        port_xmit_data: 15 * 6.25e9,
        port_rcv_data: 15 * 1e9,
        port_xmit_wait: 3000,
        symbol_error: 0,
        link_downed: 0,
      },
    });
    const rates = computePortRates(before, after);
    expect(rates?.txBytesPerSecond).toBe(6.25e9);
    expect(rates?.rxBytesPerSecond).toBe(1e9);
    expect(rates?.txUtilizationRatio).toBe(0.5);
    expect(rates?.utilizationRatio).toBe(0.5);
    expect(rates?.xmitWaitTicksPerSecond).toBe(200);
    expect(rates?.counterFlags).toEqual([]);
  });

  it('reports error counter increments including RoCE hw_counters', () => {
    const before = makeIbSnapshot({ timestampMs: t0, hwCounters: { out_of_sequence: 10, np_cnp_sent: 0 } });
    const after = makeIbSnapshot({
      timestampMs: t0 + 15_000,
      counters: { port_xmit_data: 0, port_rcv_data: 0, port_xmit_wait: 0, symbol_error: 12, link_downed: 1 },
      hwCounters: { out_of_sequence: 14, np_cnp_sent: 3 },
    });
    const rates = computePortRates(before, after);
    expect(rates?.errorDeltas).toEqual({
      symbol_error: 12,
      link_downed: 1,
      out_of_sequence: 4,
      np_cnp_sent: 3,
    });
    expect(rates?.linkDownedDelta).toBe(1);
  });

  it('flags a saturated port_xmit_wait instead of reporting a congestion rate', () => {
    const before = makeIbSnapshot({ timestampMs: t0, counters: { port_xmit_wait: 4294967000 } });
    const after = makeIbSnapshot({ timestampMs: t0 + 15_000, counters: { port_xmit_wait: 4294967295 } });
    const rates = computePortRates(before, after);
    expect(rates?.xmitWaitTicksPerSecond).toBeNull();
    expect(rates?.counterFlags).toEqual([{ counter: 'port_xmit_wait', status: 'saturated' }]);
  });

  it('takes the bytes since a reset of the 64-bit data counter when they fit the link, and flags it', () => {
    const before = makeIbSnapshot({ timestampMs: t0, counters: { port_xmit_data: 9e12 } });
    const after = makeIbSnapshot({ timestampMs: t0 + 10_000, counters: { port_xmit_data: 1e9 } });
    const rates = computePortRates(before, after);
    expect(rates?.txBytesPerSecond).toBe(1e8);
    expect(rates?.counterFlags).toEqual([{ counter: 'port_xmit_data', status: 'reset' }]);
    expect(rates?.counterIssues).toBe(1);
  });

  it('gives no rate after a reset whose value the link could not have carried in the interval', () => {
    const before = makeIbSnapshot({ timestampMs: t0, counters: { port_rcv_data: 9e12 } });
    const after = makeIbSnapshot({ timestampMs: t0 + 10_000, counters: { port_rcv_data: 5e12 } });
    expect(computePortRates(before, after)?.rxBytesPerSecond).toBeNull();
  });

  it('wraps a 16-bit symbol_error counter that rolled over', () => {
    const before = makeIbSnapshot({ timestampMs: t0, counters: { symbol_error: 65530 } });
    const after = makeIbSnapshot({ timestampMs: t0 + 10_000, counters: { symbol_error: 4 } });
    const rates = computePortRates(before, after);
    expect(rates?.errorDeltas.symbol_error).toBe(10);
    expect(rates?.counterFlags).toEqual([{ counter: 'symbol_error', status: 'wrapped' }]);
  });

  it('marks a port whose state went from ACTIVE to DOWN as changed', () => {
    const before = makeIbSnapshot({ timestampMs: t0 });
    const after = makeIbSnapshot({
      timestampMs: t0 + 15_000,
      state: { id: 1, name: 'DOWN' },
      physState: { id: 2, name: 'Polling' },
    });
    const rates = computePortRates(before, after);
    expect(rates?.stateChanged).toBe(true);
    expect(rates?.state).toEqual({ id: 1, name: 'DOWN' });
  });

  it('leaves utilization unknown when the rate file was missing', () => {
    const before = makeIbSnapshot({ timestampMs: t0, rateBitsPerSecond: null });
    const after = makeIbSnapshot({
      timestampMs: t0 + 1_000,
      rateBitsPerSecond: null,
      counters: { port_xmit_data: 1000 },
    });
    const rates = computePortRates(before, after);
    expect(rates?.txBytesPerSecond).toBe(1000);
    expect(rates?.utilizationRatio).toBeNull();
  });

  it('returns null for readings out of time order, which have no interval', () => {
    const before = makeIbSnapshot({ timestampMs: t0 });
    expect(computePortRates(before, makeIbSnapshot({ timestampMs: t0 }))).toBeNull();
    expect(computePortRates(before, makeIbSnapshot({ timestampMs: t0 - 1 }))).toBeNull();
  });

  it('prefers the explicit 64-bit counters_ext data counter when the driver has both', () => {
    const before = makeIbSnapshot({ timestampMs: t0, counters: { port_xmit_data: 0, port_xmit_data_64: 0 } });
    const after = makeIbSnapshot({
      timestampMs: t0 + 1_000,
      counters: { port_xmit_data: 0, port_xmit_data_64: 4000 },
    });
    expect(computePortRates(before, after)?.txBytesPerSecond).toBe(4000);
  });
});
