import type { CounterSpec, CounterStatus } from './compute-counter-delta.js';
import { computeCounterDelta } from './compute-counter-delta.js';
import {
  dataCounterName,
  HW_COUNTER_SPEC,
  IB_COUNTER_SPECS,
  IB_ERROR_COUNTERS,
  IB_HW_ERROR_COUNTERS,
} from './ib-counters.js';
import type { IbPortSnapshot, LinkObservation, PortState } from './types.js';

export interface CounterFlag {
  counter: string;
  status: Exclude<CounterStatus, 'ok'>;
}

export interface PortRates extends LinkObservation {
  intervalSeconds: number;
  txUtilizationRatio: number | null;
  rxUtilizationRatio: number | null;
  state: PortState | null;
  physState: PortState | null;
  /** Counters whose delta was not a plain increase: the reason a rate or error delta is missing or approximate. */
  counterFlags: CounterFlag[];
}

/** Headroom over the nominal rate before a byte delta is called implausible (QDR/FDR encoding, clock skew). */
const RATE_SLACK = 1.25;

/**
 * Rates and error deltas of one port between two readings. Null when the readings are not in time
 * order (a replay or a clock step): there is no interval to divide by.
 */
export function computePortRates(previous: IbPortSnapshot, current: IbPortSnapshot): PortRates | null {
  const intervalSeconds = (current.timestampMs - previous.timestampMs) / 1000;
  if (!(intervalSeconds > 0)) return null;
  const flags: CounterFlag[] = [];
  const rate = current.rateBitsPerSecond;
  const maxBytes = rate === null ? Number.POSITIVE_INFINITY : (rate / 8) * intervalSeconds * RATE_SLACK;
  const delta = (
    name: string,
    spec: CounterSpec | undefined,
    prev: number | undefined,
    next: number | undefined,
    max?: number,
  ) => {
    if (prev === undefined || next === undefined) return null;
    const result = computeCounterDelta(prev, next, spec ?? { widthBits: 64 }, max);
    if (result.status !== 'ok') flags.push({ counter: name, status: result.status });
    return result.delta;
  };
  const perSecond = (value: number | null) => (value === null ? null : value / intervalSeconds);
  const txName = dataCounterName(current.counters, 'xmit');
  const rxName = dataCounterName(current.counters, 'rcv');
  const tx = perSecond(
    delta(txName, IB_COUNTER_SPECS[txName], previous.counters[txName], current.counters[txName], maxBytes),
  );
  const rx = perSecond(
    delta(rxName, IB_COUNTER_SPECS[rxName], previous.counters[rxName], current.counters[rxName], maxBytes),
  );
  const wait = 'port_xmit_wait';
  const xmitWait = perSecond(
    delta(wait, IB_COUNTER_SPECS[wait], previous.counters[wait], current.counters[wait]),
  );
  const errorDeltas = collectErrorDeltas(previous, current, delta);
  const txUtilization = utilization(tx, rate);
  const rxUtilization = utilization(rx, rate);
  return {
    linkType: 'infiniband',
    node: current.node,
    device: current.device,
    port: current.port,
    timestampMs: current.timestampMs,
    intervalSeconds,
    txBytesPerSecond: tx,
    rxBytesPerSecond: rx,
    txUtilizationRatio: txUtilization,
    rxUtilizationRatio: rxUtilization,
    utilizationRatio: maxOf(txUtilization, rxUtilization),
    xmitWaitTicksPerSecond: xmitWait,
    errorDeltas,
    linkDownedDelta: errorDeltas.link_downed ?? 0,
    stateChanged: changed(previous.state, current.state) || changed(previous.physState, current.physState),
    state: current.state,
    physState: current.physState,
    counterIssues: flags.length,
    counterFlags: flags,
    suspect: false,
  };
}

type TakeDelta = (
  name: string,
  spec: CounterSpec | undefined,
  prev: number | undefined,
  next: number | undefined,
) => number | null;

/** Fault counters read in both snapshots, PMA `counters/` and RoCE `hw_counters/` alike. */
function collectErrorDeltas(
  previous: IbPortSnapshot,
  current: IbPortSnapshot,
  delta: TakeDelta,
): Record<string, number> {
  const errorDeltas: Record<string, number> = {};
  for (const name of IB_ERROR_COUNTERS) {
    const d = delta(name, IB_COUNTER_SPECS[name], previous.counters[name], current.counters[name]);
    if (d !== null) errorDeltas[name] = d;
  }
  for (const name of IB_HW_ERROR_COUNTERS) {
    const d = delta(name, HW_COUNTER_SPEC, previous.hwCounters[name], current.hwCounters[name]);
    if (d !== null) errorDeltas[name] = d;
  }
  return errorDeltas;
}

function utilization(bytesPerSecond: number | null, rateBitsPerSecond: number | null): number | null {
  if (bytesPerSecond === null || rateBitsPerSecond === null || rateBitsPerSecond <= 0) return null;
  return (bytesPerSecond * 8) / rateBitsPerSecond;
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.max(a, b);
}

function changed(a: PortState | null, b: PortState | null): boolean {
  return a !== null && b !== null && a.id !== b.id;
}
