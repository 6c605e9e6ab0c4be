import type { IbPortSnapshot } from '../types.js';

/** A healthy 100 Gb/s EDR port; override what a test is about. */
export function makeIbSnapshot(overrides: Partial<IbPortSnapshot> = {}): IbPortSnapshot {
  return {
    node: 'node-1',
    device: 'mlx5_0',
    port: 1,
    timestampMs: 1_700_000_000_000,
    source: 'sysfs',
    rateBitsPerSecond: 100e9,
    state: { id: 4, name: 'ACTIVE' },
    physState: { id: 5, name: 'LinkUp' },
    linkLayer: 'InfiniBand',
    counters: { port_xmit_data: 0, port_rcv_data: 0, port_xmit_wait: 0, symbol_error: 0, link_downed: 0 },
    hwCounters: {},
    ...overrides,
  };
}
