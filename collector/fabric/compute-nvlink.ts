import type { Sample } from '../dcgm/parse.js';
import { computeCounterDelta } from './compute-counter-delta.js';
import type { GpuNvlinkFields, NvlinkErrorKind, NvlinkLinkFields } from './group-nvlink-samples.js';
import { groupNvlinkSamples } from './group-nvlink-samples.js';
import { lookupNvlinkSpec } from './nvlink-speeds.js';
import type { LinkObservation } from './types.js';

export type NvlinkStatus = 'ok' | 'suspect' | 'unknown';

export interface NvlinkReading extends LinkObservation {
  linkType: 'nvlink';
  /** `ok`; `suspect`: zero traffic on a busy GPU of a multi-GPU job (DCGM reads 0 on DGX-A100/HGX H100); `unknown`: no throughput field. */
  status: NvlinkStatus;
  /** The exporter's values as read; a suspect zero stays here as evidence while the rates above are null. */
  readTxBytesPerSecond: number | null;
  readRxBytesPerSecond: number | null;
  activityRatio: number | null;
  modelName: string | undefined;
}

/** Counter values of the previous scrape, to turn error and bandwidth counters into deltas. */
export interface NvlinkCounterState {
  timestampMs: number;
  values: ReadonlyMap<string, number>;
}

export interface ComputeNvlinkInput {
  node: string;
  timestampMs: number;
  samples: readonly Sample[];
  /** GPU UUID → whether the job holding it spans several GPUs; from the caller's attribution. */
  multiGpuJob: ReadonlyMap<string, boolean>;
  previous?: NvlinkCounterState;
  /** Per-GPU link speeds (bytes/s each way, null = inactive) from `nvidia-smi nvlink -s`; else the model table. */
  linkSpeedsByGpu?: ReadonlyMap<string, readonly (number | null)[]>;
  /** Activity above which a GPU counts as busy. Default 0.2. */
  busyThreshold?: number;
}

const ERROR_KINDS: readonly NvlinkErrorKind[] = ['crc_flit', 'crc_data', 'replay', 'recovery'];
const ERROR_NAMES: Readonly<Record<NvlinkErrorKind, string>> = {
  crc_flit: 'nvlink_crc_flit_errors',
  crc_data: 'nvlink_crc_data_errors',
  replay: 'nvlink_replay_errors',
  recovery: 'nvlink_recovery_errors',
};

/**
 * NVLink readings for one scrape: one per GPU (port -1) and one per link where per-link fields or
 * link-entity series exist. GPUs whose model has no NVLink and no NVLink field are left out.
 */
export function computeNvlink(input: ComputeNvlinkInput): {
  readings: NvlinkReading[];
  state: NvlinkCounterState;
} {
  const values = new Map<string, number>();
  const readings: NvlinkReading[] = [];
  const intervalSeconds = input.previous ? (input.timestampMs - input.previous.timestampMs) / 1000 : 0;
  for (const gpu of groupNvlinkSamples(input.samples).values()) {
    const spec = lookupNvlinkSpec(gpu.modelName);
    if (gpu.links.size === 0 && spec === undefined) continue;
    if (!gpu.links.has(-1)) gpu.links.set(-1, { errors: {} });
    const suspectGpu = isSuspect(gpu, gpu.links.get(-1), input);
    for (const [index, fields] of [...gpu.links].sort((a, b) => a[0] - b[0])) {
      const context: LinkContext = {
        input,
        gpu,
        index,
        intervalSeconds,
        values,
        capacity: capacityOf(gpu, index, input),
      };
      readings.push(readLink(context, fields, suspectGpu));
    }
  }
  return { readings, state: { timestampMs: input.timestampMs, values } };
}

interface LinkContext {
  input: ComputeNvlinkInput;
  gpu: GpuNvlinkFields;
  index: number;
  intervalSeconds: number;
  values: Map<string, number>;
  /** Bytes/s each way; null when unknown. */
  capacity: number | null;
}

function readLink(ctx: LinkContext, fields: NvlinkLinkFields, suspectGpu: boolean): NvlinkReading {
  const read = { tx: fields.txBytesPerSecond ?? null, rx: fields.rxBytesPerSecond ?? null };
  const { errorDeltas, issues } = errorDeltasOf(ctx, fields);
  const counterRate = bandwidthRate(ctx, fields);
  const status: NvlinkStatus = suspectGpu
    ? 'suspect'
    : read.tx === null && read.rx === null && counterRate.bytesPerSecond === null
      ? 'unknown'
      : 'ok';
  const tx = status === 'suspect' ? null : read.tx;
  const rx = status === 'suspect' ? null : read.rx;
  const busier = tx === null && rx === null ? null : Math.max(tx ?? 0, rx ?? 0);
  let utilizationRatio = busier === null || ctx.capacity === null ? null : busier / ctx.capacity;
  // The bandwidth counter sums both directions, so it is measured against twice the one-way capacity.
  if (
    utilizationRatio === null &&
    status === 'ok' &&
    counterRate.bytesPerSecond !== null &&
    ctx.capacity !== null
  ) {
    utilizationRatio = counterRate.bytesPerSecond / (2 * ctx.capacity);
  }
  return {
    linkType: 'nvlink',
    node: ctx.input.node,
    device: ctx.gpu.uuid,
    port: ctx.index,
    timestampMs: ctx.input.timestampMs,
    txBytesPerSecond: tx,
    rxBytesPerSecond: rx,
    utilizationRatio,
    xmitWaitTicksPerSecond: null,
    errorDeltas,
    linkDownedDelta: 0,
    stateChanged: false,
    counterIssues: issues + counterRate.issues,
    suspect: status === 'suspect',
    status,
    readTxBytesPerSecond: read.tx,
    readRxBytesPerSecond: read.rx,
    activityRatio: ctx.gpu.activityRatio,
    modelName: ctx.gpu.modelName,
  };
}

/** Exactly zero both ways while the GPU is busy in a job that spans GPUs: DCGM's stuck counters, not idleness. */
function isSuspect(
  gpu: GpuNvlinkFields,
  total: NvlinkLinkFields | undefined,
  input: ComputeNvlinkInput,
): boolean {
  const tx = total?.txBytesPerSecond;
  const rx = total?.rxBytesPerSecond;
  if (tx === undefined && rx === undefined) return false;
  if ((tx ?? 0) !== 0 || (rx ?? 0) !== 0) return false;
  const busy = gpu.activityRatio !== null && gpu.activityRatio > (input.busyThreshold ?? 0.2);
  return busy && input.multiGpuJob.get(gpu.uuid) === true;
}

function errorDeltasOf(
  ctx: LinkContext,
  fields: NvlinkLinkFields,
): { errorDeltas: Record<string, number>; issues: number } {
  const errorDeltas: Record<string, number> = {};
  let issues = 0;
  for (const kind of ERROR_KINDS) {
    const value = fields.errors[kind];
    if (value === undefined) continue;
    const key = `${ctx.gpu.uuid}\u0000${ctx.index}\u0000${kind}`;
    ctx.values.set(key, value);
    const previous = ctx.input.previous?.values.get(key);
    if (previous === undefined) continue;
    const delta = computeCounterDelta(previous, value, { widthBits: 64 });
    if (delta.status !== 'ok') issues++;
    if (delta.delta !== null) errorDeltas[ERROR_NAMES[kind]] = delta.delta;
  }
  return { errorDeltas, issues };
}

function bandwidthRate(
  ctx: LinkContext,
  fields: NvlinkLinkFields,
): { bytesPerSecond: number | null; issues: number } {
  const value = fields.bandwidthCounter;
  if (value === undefined) return { bytesPerSecond: null, issues: 0 };
  const key = `${ctx.gpu.uuid}\u0000${ctx.index}\u0000bandwidth`;
  ctx.values.set(key, value);
  const previous = ctx.input.previous?.values.get(key);
  if (previous === undefined || !(ctx.intervalSeconds > 0)) return { bytesPerSecond: null, issues: 0 };
  const max = ctx.capacity === null ? undefined : 2 * ctx.capacity * ctx.intervalSeconds * 1.25;
  const delta = computeCounterDelta(previous, value, { widthBits: 64 }, max);
  return {
    bytesPerSecond: delta.delta === null ? null : delta.delta / ctx.intervalSeconds,
    issues: delta.status === 'ok' ? 0 : 1,
  };
}

function capacityOf(gpu: GpuNvlinkFields, index: number, input: ComputeNvlinkInput): number | null {
  const measured = input.linkSpeedsByGpu?.get(gpu.uuid);
  if (measured !== undefined) {
    if (index >= 0) return measured[index] ?? null;
    const active = measured.filter((s): s is number => s !== null);
    return active.length > 0 ? active.reduce((a, b) => a + b, 0) : null;
  }
  const spec = lookupNvlinkSpec(gpu.modelName);
  if (spec === undefined) return null;
  return index >= 0 ? spec.bytesPerSecondPerLinkEachWay : spec.links * spec.bytesPerSecondPerLinkEachWay;
}
