/** Something a reader could not use, named by file (or source) and field; readers never throw on bad input. */
export interface FabricIssue {
  /** A sysfs path, a scrape URL or a fixture name. */
  source: string;
  /** 1-based line where the text has lines; absent for one-value sysfs files. */
  line?: number;
  field?: string;
  reason: string;
}

/** `state` ("4: ACTIVE") and `phys_state` ("5: LinkUp") as number and name. */
export interface PortState {
  id: number;
  name: string;
}

/** One reading of one InfiniBand/RoCE port, from sysfs or node_exporter, in base units. */
export interface IbPortSnapshot {
  node: string;
  device: string;
  port: number;
  timestampMs: number;
  source: 'sysfs' | 'node_exporter';
  rateBitsPerSecond: number | null;
  state: PortState | null;
  physState: PortState | null;
  linkLayer: string | null;
  /**
   * sysfs counter names (`counters/` and `counters_ext/`). `port_xmit_data`, `port_rcv_data` and their
   * `_64` forms are already in bytes (sysfs counts 4-byte words).
   */
  counters: Readonly<Record<string, number>>;
  /** `hw_counters/` (RoCE/RDMA driver counters), as read. */
  hwCounters: Readonly<Record<string, number>>;
}

export type LinkType = 'infiniband' | 'nvlink';

/**
 * One minute of one link, the row a store layer writes to `link_rollups`, keyed by
 * (linkType, node, device, port, bucketStartMs). `device` is the HCA name or the GPU UUID; `port` the
 * IB port number or the NVLink link index, -1 for a GPU's all-links total.
 */
export interface LinkRollup {
  linkType: LinkType;
  node: string;
  device: string;
  port: number;
  bucketStartMs: number;
  sampleCount: number;
  txBytesPerSecondMean: number | null;
  txBytesPerSecondMax: number | null;
  rxBytesPerSecondMean: number | null;
  rxBytesPerSecondMax: number | null;
  utilizationMaxRatio: number | null;
  /** IB `port_xmit_wait` ticks per second (congestion), mean over the minute. */
  xmitWaitTicksPerSecondMean: number | null;
  /** Error counter increments in the minute, by counter name; only counters that were read. */
  errorDeltas: Record<string, number>;
  errorTotal: number;
  linkDownedTotal: number;
  stateChanges: number;
  flapping: boolean;
  /** Readings whose counters were saturated, reset or implausible (rates left out, not guessed). */
  counterIssues: number;
  /** NVLink: readings whose zero traffic is not believable (busy multi-GPU job); 0 for IB. */
  suspectSamples: number;
  /** Internal: the bucket version this row was taken at. */
  version: number;
}

/** One reading of one link's rates, the input of the minute rollups (IB port or NVLink link/GPU total). */
export interface LinkObservation {
  linkType: LinkType;
  node: string;
  device: string;
  port: number;
  timestampMs: number;
  txBytesPerSecond: number | null;
  rxBytesPerSecond: number | null;
  /** The busier direction's share of the link speed, 0–1 (a little above 1 is encoding slack, kept as read). */
  utilizationRatio: number | null;
  xmitWaitTicksPerSecond: number | null;
  /** Error counter increments since the previous reading, by counter name. */
  errorDeltas: Readonly<Record<string, number>>;
  linkDownedDelta: number;
  /** state or phys_state differs from the previous reading. */
  stateChanged: boolean;
  /** Counters in this reading that were saturated, reset, wrapped or implausible. */
  counterIssues: number;
  /** NVLink zero traffic that cannot be believed; always false for IB. */
  suspect: boolean;
}
