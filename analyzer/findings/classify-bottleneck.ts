/** DCGM clock-event reason bits. */
export const THROTTLE_BITS = {
  swPowerCap: 0x4,
  hwSlowdown: 0x8,
  swThermal: 0x20,
  hwThermal: 0x40,
  hwPowerBrake: 0x80,
} as const;
/**
 * Heat, hardware slowdown and the power brake: the GPU held back by something wrong. SW power cap is left out:
 * a busy H100 reaching its power limit sets it all day, and that is the GPU working as designed.
 */
export const THROTTLE_MASK =
  THROTTLE_BITS.hwSlowdown | THROTTLE_BITS.swThermal | THROTTLE_BITS.hwThermal | THROTTLE_BITS.hwPowerBrake;

export interface BottleneckThresholds {
  windowMinutes: number;
  /** Minutes with profiling readings (SM, tensor, DRAM) below this: no class. */
  minProfiledMinutes: number;
  /** Share of minutes with a power or thermal clock-event bit set. */
  throttledShare: number;
  /** IB port or NVLink utilization (0–1) that counts as near line rate. */
  linkBusyRatio: number;
  /** IB port_xmit_wait ticks per second that count as congestion. */
  xmitWaitPerSecond: number;
  /** SM activity under which a busy or congested fabric is what the GPU waits for. */
  communicationSmMax: number;
  tensorHeavy: number;
  memoryBoundDram: number;
  computeBoundSm: number;
  /** Graphics engine busy this much or more while SMs run under `launchSmPerActivity` of it: launch/sync gaps. */
  launchActivityMin: number;
  launchSmPerActivity: number;
  /** Mean activity under this (and over idle), with data streaming in over PCIe, is a GPU waiting on its input. */
  inputActivityMax: number;
  inputPcieRxBytesPerSecond: number;
  /** Below this the GPU is idle: the idle detector's business, not a bottleneck. */
  idleActivityMax: number;
  /** A GPU this far (share) under the median activity of its job's other GPUs is a straggler. */
  stragglerGap: number;
  /** Peers must be at least this busy for a straggler to mean anything. */
  stragglerPeerMin: number;
}

/** One GPU over the window, its means aggregated in SQL. */
export interface GpuUsage {
  minutes: number;
  profiledMinutes: number;
  activityMean: number | null;
  smActiveMean: number | null;
  tensorActiveMean: number | null;
  dramActiveMean: number | null;
  throttledMinutes: number;
  /** OR of every minute's clock-event reasons. */
  reasons: number;
  /** Highest utilization (0–1) of the IB ports serving the GPU, and NVLink as a share of its line rate. */
  linkUtilization: number | null;
  xmitWaitPerSecond: number | null;
  /** Host to device over PCIe, bytes per second. */
  pcieRxBytesPerSecond: number | null;
}

export const BOTTLENECK_CLASSES = [
  'throttled',
  'communication',
  'tensor_heavy',
  'memory_bound',
  'compute_bound',
  'launch_overhead',
  'input_bound',
] as const;
export type BottleneckClass = (typeof BOTTLENECK_CLASSES)[number];

export type Classification =
  | { class: BottleneckClass; reason: string }
  | { class: null; reason: 'idle' | 'too few profiled minutes' | 'balanced' };

/**
 * The limiting resource of one busy GPU; the first rule that matches wins. Throttling comes first because it
 * distorts every other ratio; a busy or congested fabric with low SM activity next; then the profiling ratios
 * from the most to the least specific. A legitimately memory-bound job is classed memory-bound, never input-bound.
 */
export function classifyBottleneck(u: GpuUsage, t: BottleneckThresholds): Classification {
  const activity = u.activityMean ?? 0;
  if (activity < t.idleActivityMax) return { class: null, reason: 'idle' };
  const share = u.minutes === 0 ? 0 : u.throttledMinutes / u.minutes;
  if (share >= t.throttledShare) {
    return {
      class: 'throttled',
      reason: `power or thermal clock events in ${Math.round(share * 100)}% of minutes`,
    };
  }
  if (u.profiledMinutes < t.minProfiledMinutes || u.smActiveMean === null) {
    return { class: null, reason: 'too few profiled minutes' };
  }
  const sm = u.smActiveMean;
  const linkBusy = (u.linkUtilization ?? 0) >= t.linkBusyRatio;
  const congested = (u.xmitWaitPerSecond ?? 0) >= t.xmitWaitPerSecond;
  if ((linkBusy || congested) && sm < t.communicationSmMax) {
    return {
      class: 'communication',
      reason: linkBusy ? 'fabric near line rate while SMs wait' : 'IB port_xmit_wait high while SMs wait',
    };
  }
  if ((u.tensorActiveMean ?? 0) >= t.tensorHeavy)
    return { class: 'tensor_heavy', reason: 'tensor cores busy' };
  if ((u.dramActiveMean ?? 0) >= t.memoryBoundDram) {
    return { class: 'memory_bound', reason: 'device memory bandwidth near its limit' };
  }
  if (sm >= t.computeBoundSm) return { class: 'compute_bound', reason: 'SMs busy, not on tensor cores' };
  if (activity >= t.launchActivityMin && sm < activity * t.launchSmPerActivity) {
    return {
      class: 'launch_overhead',
      reason: 'engine busy but SMs mostly empty: small kernels, launches or syncs',
    };
  }
  // low activity alone is under-use (right-sizing's business); with data pouring in it is the input pipeline
  if (activity < t.inputActivityMax && (u.pcieRxBytesPerSecond ?? 0) >= t.inputPcieRxBytesPerSecond) {
    return { class: 'input_bound', reason: 'GPU waits for input most of the time while data streams in' };
  }
  return { class: null, reason: 'balanced' };
}

/**
 * Indexes of the GPUs clearly slower than their peers in one job: under the median activity of the others by
 * more than `stragglerGap`, while those others are busy. Needs three GPUs at least (with two, which is slow?).
 */
export function findStragglers(activities: readonly number[], t: BottleneckThresholds): number[] {
  if (activities.length < 3) return [];
  const out: number[] = [];
  activities.forEach((a, i) => {
    const peers = activities.filter((_, j) => j !== i).sort((x, y) => x - y);
    const mid = peers.length >> 1;
    const median = peers.length % 2 ? (peers[mid] ?? 0) : ((peers[mid - 1] ?? 0) + (peers[mid] ?? 0)) / 2;
    if (median >= t.stragglerPeerMin && a < median * (1 - t.stragglerGap)) out.push(i);
  });
  return out;
}
