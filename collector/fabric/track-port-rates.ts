import type { PortRates } from './compute-port-rates.js';
import { computePortRates } from './compute-port-rates.js';
import type { IbPortSnapshot } from './types.js';

/**
 * Keeps the previous snapshot of every port so each reading can be turned into rates. The first
 * reading of a port gives none; a port not seen for `forgetAfterMs` is dropped (HCA replaced, node gone).
 */
export class IbPortRateTracker {
  private readonly previous = new Map<string, IbPortSnapshot>();

  constructor(private readonly forgetAfterMs = 15 * 60_000) {}

  get portCount(): number {
    return this.previous.size;
  }

  /** Rates for every snapshot that has a predecessor in time order; older or repeated readings are ignored. */
  update(snapshots: readonly IbPortSnapshot[]): PortRates[] {
    const out: PortRates[] = [];
    for (const snapshot of snapshots) {
      const key = `${snapshot.node}\u0000${snapshot.device}\u0000${snapshot.port}`;
      const before = this.previous.get(key);
      if (before && snapshot.timestampMs <= before.timestampMs) continue;
      this.previous.set(key, snapshot);
      const rates = before ? computePortRates(before, snapshot) : null;
      if (rates) out.push(rates);
    }
    return out;
  }

  forgetStale(nowMs: number): void {
    for (const [key, snapshot] of this.previous) {
      if (snapshot.timestampMs < nowMs - this.forgetAfterMs) this.previous.delete(key);
    }
  }
}
