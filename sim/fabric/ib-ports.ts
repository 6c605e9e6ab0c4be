import { listGpuSpans } from '../gpu-schedule.js';
import type { IbPortFault, SimGpu, SimNode, Workload } from '../types.js';
import { integrateWave } from '../waves.js';

/** ConnectX-7 NDR: `400 Gb/sec (4X NDR)` is 5e10 bytes/s of signalling. */
export const ibLinkBytesPerSecond = 50e9;
export const ibRateText = '400 Gb/sec (4X NDR)';
/** Subnet-management and monitoring traffic an otherwise idle port still carries. */
const managementBytesPerSecond = 2_000;
/** A single-node job's IB use is storage I/O: mostly reads. */
const localTxPerActivity = ibLinkBytesPerSecond * 0.001;
const localRxPerActivity = ibLinkBytesPerSecond * 0.004;
const bytesPerPacket = 4_096;
const multicastPacketsPerSecond = 0.02;
/** Even an uncongested port waits now and then; ticks per byte sent. */
const idleWaitTicksPerByte = 2e-7;
const counter32 = 2 ** 32;

/** Extra counts each flap adds: a few recoveries and symbol errors before the link gives up. */
const perFlap = { linkErrorRecovery: 2, symbolError: 25, rcvErrors: 3, xmitDiscards: 11 } as const;

export const ibCounterNames = [
  'VL15_dropped',
  'excessive_buffer_overrun_errors',
  'link_downed',
  'link_error_recovery',
  'local_link_integrity_errors',
  'multicast_rcv_packets',
  'multicast_xmit_packets',
  'port_rcv_constraint_errors',
  'port_rcv_data',
  'port_rcv_errors',
  'port_rcv_packets',
  'port_rcv_remote_physical_errors',
  'port_rcv_switch_relay_errors',
  'port_xmit_constraint_errors',
  'port_xmit_data',
  'port_xmit_discards',
  'port_xmit_packets',
  'port_xmit_wait',
  'symbol_error',
  'unicast_rcv_packets',
  'unicast_xmit_packets',
] as const;

export type IbCounterName = (typeof ibCounterNames)[number];

/** One HCA port as sysfs shows it; data counters are in 4-byte words, as the kernel reports them. */
export interface IbPortSample {
  device: string;
  port: number;
  gpuIndex: number;
  stateId: 1 | 4;
  physStateId: 2 | 5;
  rateBytesPerSecond: number;
  counters: Record<IbCounterName, number>;
}

export function formatIbDevice(gpuIndex: number): string {
  return `mlx5_${gpuIndex}`;
}

interface Traffic {
  workload: Workload;
  txPerActivity: number;
  rxPerActivity: number;
}

function describeTraffic(workload: Workload): Traffic {
  const spanning = workload.ibBytesPerSecond;
  if (spanning !== undefined) return { workload, txPerActivity: spanning, rxPerActivity: spanning };
  return { workload, txPerActivity: localTxPerActivity, rxPerActivity: localRxPerActivity };
}

/** Bytes each way between two times (seconds from the fleet start), the exact integral of the rate. */
function integrateTraffic(traffic: Traffic, fromS: number, toS: number): { tx: number; rx: number } {
  if (toS <= fromS) return { tx: 0, rx: 0 };
  const active = integrateWave(traffic.workload.activity, fromS, toS);
  const base = managementBytesPerSecond * (toS - fromS);
  return { tx: base + traffic.txPerActivity * active, rx: base + traffic.rxPerActivity * active };
}

/** Bytes each way between two epoch times, span by span for a GPU that changes hands. */
function integrateGpuTraffic(gpu: SimGpu, fromMs: number, toMs: number, startMs: number) {
  const toS = (ms: number) => (ms - startMs) / 1000;
  if (!gpu.schedule) return integrateTraffic(describeTraffic(gpu.workload), toS(fromMs), toS(toMs));
  const total = { tx: 0, rx: 0 };
  for (const span of listGpuSpans(gpu)) {
    const from = toS(Math.max(span.fromMs, fromMs));
    const part = integrateTraffic(describeTraffic(span.workload), from, toS(Math.min(span.toMs, toMs)));
    total.tx += part.tx;
    total.rx += part.rx;
  }
  return total;
}

interface Window {
  fromMs: number;
  toMs: number;
}

function listDownIntervals(fault: IbPortFault | undefined): Window[] {
  return fault?.kind === 'flap' ? fault.downIntervals : [];
}

/** When the port's counters last started from 0: node boot, or a planted HCA reset already past. */
function findCounterOriginMs(gpu: SimGpu, fault: IbPortFault | undefined, startMs: number, tMs: number) {
  const bootMs = startMs - gpu.uptimeSeconds * 1000;
  return fault?.kind === 'reset' && tMs >= fault.resetAtMs ? fault.resetAtMs : bootMs;
}

function computeDataBytes(
  gpu: SimGpu,
  fault: IbPortFault | undefined,
  originMs: number,
  startMs: number,
  tMs: number,
): { tx: number; rx: number } {
  const toS = (ms: number) => (ms - startMs) / 1000;
  if (fault?.kind === 'wrap') {
    // Whole periods since boot keep the count positive; the word counter still reads 0 at firstWrapMs.
    const periods = Math.ceil(
      (fault.bytesPerSecond * toS(fault.firstWrapMs) - fault.bytesPerSecond * toS(originMs)) /
        (4 * counter32),
    );
    const bytes = fault.bytesPerSecond * (toS(tMs) - toS(fault.firstWrapMs)) + periods * 4 * counter32;
    return { tx: bytes, rx: bytes };
  }
  const total = integrateGpuTraffic(gpu, originMs, tMs, startMs);
  for (const down of listDownIntervals(fault)) {
    const lost = integrateGpuTraffic(gpu, Math.max(down.fromMs, originMs), Math.min(down.toMs, tMs), startMs);
    total.tx -= lost.tx;
    total.rx -= lost.rx;
  }
  if (fault?.kind === 'congested') total.tx = fault.txBytesPerSecond * (toS(tMs) - toS(originMs));
  return total;
}

/** Wraps into [0, 2^32): the 32-bit PortCounters of a legacy HCA, below zero before the first wrap. */
function wrap32(value: number): number {
  return ((value % counter32) + counter32) % counter32;
}

function countFlaps(fault: IbPortFault | undefined, originMs: number, tMs: number): number {
  return listDownIntervals(fault).filter((down) => down.fromMs >= originMs && down.fromMs <= tMs).length;
}

function isDown(fault: IbPortFault | undefined, tMs: number): boolean {
  return listDownIntervals(fault).some((down) => tMs >= down.fromMs && tMs < down.toMs);
}

function computeXmitWait(fault: IbPortFault | undefined, txBytes: number, originMs: number, tMs: number) {
  const steady = fault?.kind === 'congested' ? fault.xmitWaitPerSecond * ((tMs - originMs) / 1000) : 0;
  return Math.floor(txBytes * idleWaitTicksPerByte + steady);
}

/** Every sysfs reading of the HCA port serving GPU `gpuIndex` at `tMs`: pure in (node, time). */
export function computeIbPortSample(
  node: SimNode,
  gpuIndex: number,
  startMs: number,
  tMs: number,
): IbPortSample {
  const gpu = node.gpus[gpuIndex];
  if (!gpu) throw new RangeError(`${node.name} has no GPU ${gpuIndex} for an HCA to serve`);
  const fault = node.ibPortFaults?.find((f) => f.gpuIndex === gpuIndex);
  const originMs = findCounterOriginMs(gpu, fault, startMs, tMs);
  const bytes = computeDataBytes(gpu, fault, originMs, startMs, tMs);
  const is32 = fault?.kind === 'wrap';
  const multicast = Math.floor(((tMs - originMs) / 1000) * multicastPacketsPerSecond);
  const xmitPackets = Math.floor(bytes.tx / bytesPerPacket) + multicast;
  const rcvPackets = Math.floor(bytes.rx / bytesPerPacket) + multicast;
  const flaps = countFlaps(fault, originMs, tMs);
  const down = isDown(fault, tMs);
  const counters: Record<IbCounterName, number> = {
    VL15_dropped: 0,
    excessive_buffer_overrun_errors: 0,
    link_downed: flaps,
    link_error_recovery: flaps * perFlap.linkErrorRecovery,
    local_link_integrity_errors: 0,
    multicast_rcv_packets: multicast,
    multicast_xmit_packets: multicast,
    port_rcv_constraint_errors: 0,
    port_rcv_data: is32 ? wrap32(Math.floor(bytes.rx / 4)) : Math.floor(bytes.rx / 4),
    port_rcv_errors: flaps * perFlap.rcvErrors,
    port_rcv_packets: is32 ? wrap32(rcvPackets) : rcvPackets,
    port_rcv_remote_physical_errors: 0,
    port_rcv_switch_relay_errors: 0,
    port_xmit_constraint_errors: 0,
    port_xmit_data: is32 ? wrap32(Math.floor(bytes.tx / 4)) : Math.floor(bytes.tx / 4),
    port_xmit_discards: flaps * perFlap.xmitDiscards,
    port_xmit_packets: is32 ? wrap32(xmitPackets) : xmitPackets,
    port_xmit_wait: computeXmitWait(fault, bytes.tx, originMs, tMs),
    symbol_error: flaps * perFlap.symbolError,
    unicast_rcv_packets: Math.max(0, rcvPackets - multicast),
    unicast_xmit_packets: Math.max(0, xmitPackets - multicast),
  };
  return {
    device: formatIbDevice(gpuIndex),
    port: 1,
    gpuIndex,
    stateId: down ? 1 : 4,
    physStateId: down ? 2 : 5,
    rateBytesPerSecond: ibLinkBytesPerSecond,
    counters,
  };
}

export function sampleIbPorts(node: SimNode, startMs: number, tMs: number): IbPortSample[] {
  return node.gpus.map((gpu) => computeIbPortSample(node, gpu.index, startMs, tMs));
}

/** The planted per-flap increments, for the ground truth. */
export const ibFlapIncrements = perFlap;
