import type { LinkObservation } from '../types.js';

export function makeLinkObservation(overrides: Partial<LinkObservation> = {}): LinkObservation {
  return {
    linkType: 'infiniband',
    node: 'node-1',
    device: 'mlx5_0',
    port: 1,
    timestampMs: 1_700_000_040_000,
    txBytesPerSecond: 1e9,
    rxBytesPerSecond: 2e9,
    utilizationRatio: 0.16,
    xmitWaitTicksPerSecond: 0,
    errorDeltas: {},
    linkDownedDelta: 0,
    stateChanged: false,
    counterIssues: 0,
    suspect: false,
    ...overrides,
  };
}
