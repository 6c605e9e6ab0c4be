import type { FieldId, FieldSpec } from '../dcgm/fields.js';
import { counterFieldIds, isDcgmBlank } from '../dcgm/fields.js';
import type { GpuLabels } from '../dcgm/normalize.js';
import { gpuKey } from '../dcgm/normalize.js';

export const BUCKET_MS = 60_000;

const fieldIds: FieldId[] = [
  'gpuUtil',
  'grEngineActive',
  'smActive',
  'tensorActive',
  'dramActive',
  'encoderUtil',
  'decoderUtil',
  'memoryUsed',
  'memoryFree',
  'memoryReserved',
  'memoryTotal',
  'power',
  'energyCounter',
  'gpuTemperature',
  'smClock',
  'xid',
  'clockEventReasons',
  'pcieTx',
  'pcieRx',
  'nvlinkTx',
  'nvlinkRx',
  'memoryTemperature',
  'powerLimit',
  'pcieReplayCounter',
  'eccSbeVolatileTotal',
  'eccDbeVolatileTotal',
  'rowRemapFailure',
  'uncorrectableRemappedRows',
  'correctableRemappedRows',
];
const F = Object.fromEntries(fieldIds.map((id, i) => [id, i])) as Record<FieldId, number>;

/**
 * Health counters (every counter but energy) whose increase per minute is kept. Their `sums` slot holds
 * the summed increases and their `counts` slot the number of reading pairs, so a minute with no pair stays null.
 */
const isDeltaField = new Uint8Array(fieldIds.length);
for (const id of counterFieldIds) if (id !== 'energyCounter') isDeltaField[F[id]] = 1;

/** One minute of one GPU: running sums, maxima and counts per field (counter increases for delta fields). */
interface BucketStats {
  sums: Float64Array;
  maxs: Float64Array;
  counts: Uint32Array;
  times: number[];
  energyJoules: number;
  energyDeltas: number;
  xidCodes: number[];
  clockEventReasons: bigint;
  /** Owner labels of the newest sample in the minute (a pod can change mid-minute; the newest wins). */
  owner: Record<string, string>;
  version: number;
  writtenVersion: number;
}

interface GpuState {
  key: string;
  node: string;
  gpu: GpuLabels;
  lastSeenMs: number;
  /** Newest timestamp taken per field: replays and overlapping ranges are ignored, never summed twice. */
  lastTs: Float64Array;
  energyPrev: number | undefined;
  /** Previous reading of each delta field (NaN: none yet), carried across minutes like `energyPrev`. */
  counterPrev: Float64Array;
  buckets: Map<number, BucketStats>;
}

export interface RollupRow {
  key: string;
  node: string;
  gpu: GpuLabels;
  lastSeenMs: number;
  bucketMs: number;
  sampleCount: number;
  activitySource: 'gr_engine_active' | 'gpu_util' | null;
  activityMean: number | null;
  activityMax: number | null;
  /** DCGM_FI_DEV_GPU_UTIL, kept even when GR_ENGINE_ACTIVE is the activity source (to catch GR reading 0). */
  gpuUtilMean: number | null;
  gpuUtilMax: number | null;
  smActiveMean: number | null;
  smActiveMax: number | null;
  tensorActiveMean: number | null;
  tensorActiveMax: number | null;
  dramActiveMean: number | null;
  dramActiveMax: number | null;
  encoderMean: number | null;
  decoderMean: number | null;
  memoryUsedMaxBytes: number | null;
  memoryTotalBytes: number | null;
  powerMeanWatts: number | null;
  energyJoules: number | null;
  temperatureMaxCelsius: number | null;
  smClockMeanHertz: number | null;
  xidCodes: number[];
  clockEventReasons: number;
  pcieTxBytesPerSecond: number | null;
  pcieRxBytesPerSecond: number | null;
  nvlinkTxBytesPerSecond: number | null;
  nvlinkRxBytesPerSecond: number | null;
  memoryTemperatureMaxCelsius: number | null;
  powerLimitWatts: number | null;
  /** Counter increases within the minute; a counter that went backwards (reset) adds nothing. */
  pcieReplayDelta: number | null;
  eccSbeVolatileDelta: number | null;
  eccDbeVolatileDelta: number | null;
  /** 1 when DCGM reported a failed row remap in the minute. */
  rowRemapFailure: number | null;
  uncorrectableRemappedRows: number | null;
  correctableRemappedRows: number | null;
  ownerKind: 'slurm' | 'pod' | null;
  ownerRef: string | null;
  /** Internal: the bucket version this row was taken at. */
  version: number;
}

export interface AccumulatorOptions {
  /** Closed buckets older than this that still could not be written are dropped (and counted). */
  maxBufferedMinutes?: number;
}

/**
 * Folds GPU samples into per-minute buckets. Pure and in memory: the writer takes dirty buckets,
 * upserts them, and confirms; a bucket leaves memory only once closed and written.
 */
export class RollupAccumulator {
  private readonly gpus = new Map<string, GpuState>();
  /** Label objects are interned by the parser, so most samples find their GPU without building a key. */
  private readonly byLabels = new WeakMap<GpuLabels, GpuState>();
  private readonly maxBufferedMinutes: number;
  droppedBuckets = 0;
  blankValues = 0;

  constructor(options: AccumulatorOptions = {}) {
    this.maxBufferedMinutes = options.maxBufferedMinutes ?? 120;
  }

  get gpuCount(): number {
    return this.gpus.size;
  }

  observe(node: string, gpu: GpuLabels, field: FieldSpec, rawValue: number, tsMs: number): void {
    if (isDcgmBlank(rawValue, field.id)) {
      this.blankValues++;
      return;
    }
    const state = this.stateFor(node, gpu);
    const index = F[field.id];
    if (tsMs <= state.lastTs[index]!) return;
    state.lastTs[index] = tsMs;
    if (tsMs > state.lastSeenMs) state.lastSeenMs = tsMs;
    const bucket = this.bucketFor(state, tsMs);
    const value = rawValue * field.scale;
    if (field.id === 'energyCounter') {
      addEnergy(state, bucket, value);
      return;
    }
    if (isDeltaField[index] === 1) {
      addCounterDelta(state, bucket, index, value);
      return;
    }
    if (field.id === 'xid') {
      if (value !== 0 && !bucket.xidCodes.includes(value)) bucket.xidCodes.push(value);
    } else if (field.id === 'clockEventReasons') {
      bucket.clockEventReasons |= BigInt(Math.trunc(value));
    }
    bucket.sums[index]! += value;
    bucket.counts[index]!++;
    if (bucket.counts[index] === 1 || value > bucket.maxs[index]!) bucket.maxs[index] = value;
  }

  /** Rows for buckets changed since last written; open buckets (still filling) only when asked. */
  takeDirty(nowMs: number, options: { includeOpen: boolean; graceMs?: number }): RollupRow[] {
    const closedBefore = nowMs - (options.graceMs ?? 5_000) - BUCKET_MS;
    const rows: RollupRow[] = [];
    for (const state of this.gpus.values()) {
      for (const [bucketMs, bucket] of state.buckets) {
        if (bucket.version === bucket.writtenVersion) continue;
        if (!options.includeOpen && bucketMs > closedBefore) continue;
        rows.push(toRow(state, bucketMs, bucket));
      }
    }
    return rows;
  }

  /**
   * Marks rows as stored, then forgets every closed bucket nothing has changed since it was stored,
   * including those stored while still open (they never come back through takeDirty).
   */
  confirmWritten(rows: readonly RollupRow[], nowMs: number, graceMs = 5_000): void {
    for (const row of rows) {
      const bucket = this.gpus.get(row.key)?.buckets.get(row.bucketMs);
      if (bucket) bucket.writtenVersion = Math.max(bucket.writtenVersion, row.version);
    }
    const closedBefore = nowMs - graceMs - BUCKET_MS;
    for (const state of this.gpus.values()) {
      for (const [bucketMs, bucket] of state.buckets) {
        if (bucketMs <= closedBefore && bucket.writtenVersion === bucket.version)
          state.buckets.delete(bucketMs);
      }
    }
  }

  /** Drops buckets too old to keep waiting for a database that is away; returns how many. */
  evictStale(nowMs: number): number {
    const oldest = nowMs - this.maxBufferedMinutes * BUCKET_MS;
    let dropped = 0;
    for (const state of this.gpus.values()) {
      for (const bucketMs of state.buckets.keys()) {
        if (bucketMs < oldest) {
          state.buckets.delete(bucketMs);
          dropped++;
        }
      }
    }
    this.droppedBuckets += dropped;
    return dropped;
  }

  /** Forgets GPUs not seen for a while so a fleet that churns does not grow memory forever. */
  forgetIdleGpus(nowMs: number, idleMs: number): void {
    for (const [key, state] of this.gpus) {
      if (state.buckets.size === 0 && state.lastSeenMs < nowMs - idleMs) this.gpus.delete(key);
    }
  }

  bufferedBuckets(): number {
    let n = 0;
    for (const state of this.gpus.values()) n += state.buckets.size;
    return n;
  }

  private stateFor(node: string, gpu: GpuLabels): GpuState {
    const known = this.byLabels.get(gpu);
    if (known && known.node === node && this.gpus.get(known.key) === known) {
      // a label set seen before is back (the pod left, the GPU is unallocated again): it is the newest description
      known.gpu = gpu;
      return known;
    }
    const key = gpuKey(node, gpu);
    let state = this.gpus.get(key);
    if (!state) {
      state = {
        key,
        node,
        gpu,
        lastSeenMs: 0,
        lastTs: new Float64Array(fieldIds.length).fill(Number.NEGATIVE_INFINITY),
        energyPrev: undefined,
        counterPrev: new Float64Array(fieldIds.length).fill(Number.NaN),
        buckets: new Map(),
      };
      this.gpus.set(key, state);
    } else if (state.gpu !== gpu) {
      // labels changed (a pod came or went): keep the newest description
      state.gpu = gpu;
    }
    this.byLabels.set(gpu, state);
    return state;
  }

  private bucketFor(state: GpuState, tsMs: number): BucketStats {
    const bucketMs = tsMs - (((tsMs % BUCKET_MS) + BUCKET_MS) % BUCKET_MS);
    let bucket = state.buckets.get(bucketMs);
    if (!bucket) {
      bucket = {
        sums: new Float64Array(fieldIds.length),
        maxs: new Float64Array(fieldIds.length),
        counts: new Uint32Array(fieldIds.length),
        times: [],
        energyJoules: 0,
        energyDeltas: 0,
        xidCodes: [],
        clockEventReasons: 0n,
        owner: state.gpu.owner,
        version: 0,
        writtenVersion: 0,
      };
      state.buckets.set(bucketMs, bucket);
    }
    bucket.version++;
    bucket.owner = state.gpu.owner;
    if (!bucket.times.includes(tsMs)) bucket.times.push(tsMs);
    return bucket;
  }
}

/** Counter deltas between consecutive samples; a smaller value means the counter reset (driver reload). */
function addEnergy(state: GpuState, bucket: BucketStats, joules: number): void {
  const prev = state.energyPrev;
  state.energyPrev = joules;
  if (prev === undefined) return;
  bucket.energyJoules += joules >= prev ? joules - prev : joules;
  bucket.energyDeltas++;
}

/** Like addEnergy, but a counter that went backwards (reset, driver reload) adds nothing for that pair. */
function addCounterDelta(state: GpuState, bucket: BucketStats, index: number, value: number): void {
  const prev = state.counterPrev[index]!;
  state.counterPrev[index] = value;
  if (Number.isNaN(prev)) return;
  if (value > prev) bucket.sums[index]! += value - prev;
  bucket.counts[index]!++;
}

function delta(b: BucketStats, field: FieldId): number | null {
  const i = F[field];
  return b.counts[i]! > 0 ? b.sums[i]! : null;
}

/** 0 or 1 (an integer column): any non-zero reading in the minute counts as set. */
function flag(b: BucketStats, field: FieldId): number | null {
  const value = max(b, field);
  return value === null ? null : value > 0 ? 1 : 0;
}

function mean(b: BucketStats, field: FieldId): number | null {
  const i = F[field];
  return b.counts[i]! > 0 ? b.sums[i]! / b.counts[i]! : null;
}

function max(b: BucketStats, field: FieldId): number | null {
  const i = F[field];
  return b.counts[i]! > 0 ? b.maxs[i]! : null;
}

function memoryTotal(b: BucketStats): number | null {
  const explicit = max(b, 'memoryTotal');
  if (explicit !== null) return explicit;
  const used = mean(b, 'memoryUsed');
  const free = mean(b, 'memoryFree');
  if (used === null || free === null) return null;
  return used + free + (mean(b, 'memoryReserved') ?? 0);
}

function toRow(state: GpuState, bucketMs: number, b: BucketStats): RollupRow {
  const useGr = b.counts[F.grEngineActive]! > 0;
  const activityField: FieldId = useGr ? 'grEngineActive' : 'gpuUtil';
  const hasActivity = b.counts[F[activityField]]! > 0;
  return {
    key: state.key,
    node: state.node,
    gpu: state.gpu,
    lastSeenMs: state.lastSeenMs,
    bucketMs,
    sampleCount: b.times.length,
    activitySource: hasActivity ? (useGr ? 'gr_engine_active' : 'gpu_util') : null,
    activityMean: mean(b, activityField),
    activityMax: max(b, activityField),
    gpuUtilMean: mean(b, 'gpuUtil'),
    gpuUtilMax: max(b, 'gpuUtil'),
    smActiveMean: mean(b, 'smActive'),
    smActiveMax: max(b, 'smActive'),
    tensorActiveMean: mean(b, 'tensorActive'),
    tensorActiveMax: max(b, 'tensorActive'),
    dramActiveMean: mean(b, 'dramActive'),
    dramActiveMax: max(b, 'dramActive'),
    encoderMean: mean(b, 'encoderUtil'),
    decoderMean: mean(b, 'decoderUtil'),
    memoryUsedMaxBytes: max(b, 'memoryUsed'),
    memoryTotalBytes: memoryTotal(b),
    powerMeanWatts: mean(b, 'power'),
    energyJoules: b.energyDeltas > 0 ? b.energyJoules : null,
    temperatureMaxCelsius: max(b, 'gpuTemperature'),
    smClockMeanHertz: mean(b, 'smClock'),
    xidCodes: [...b.xidCodes].sort((x, y) => x - y),
    clockEventReasons: Number(b.clockEventReasons),
    pcieTxBytesPerSecond: mean(b, 'pcieTx'),
    pcieRxBytesPerSecond: mean(b, 'pcieRx'),
    nvlinkTxBytesPerSecond: mean(b, 'nvlinkTx'),
    nvlinkRxBytesPerSecond: mean(b, 'nvlinkRx'),
    memoryTemperatureMaxCelsius: max(b, 'memoryTemperature'),
    powerLimitWatts: mean(b, 'powerLimit'),
    pcieReplayDelta: delta(b, 'pcieReplayCounter'),
    eccSbeVolatileDelta: delta(b, 'eccSbeVolatileTotal'),
    eccDbeVolatileDelta: delta(b, 'eccDbeVolatileTotal'),
    rowRemapFailure: flag(b, 'rowRemapFailure'),
    uncorrectableRemappedRows: max(b, 'uncorrectableRemappedRows'),
    correctableRemappedRows: max(b, 'correctableRemappedRows'),
    ...readOwnerRef(b.owner),
    version: b.version,
  };
}

/** A Slurm job id beats a pod: dcgm-exporter on a Slurm node sets hpc_job, and a pod label there is the exporter's own. */
export function readOwnerRef(owner: Record<string, string>): Pick<RollupRow, 'ownerKind' | 'ownerRef'> {
  const job = owner['hpc_job'];
  if (job !== undefined) return { ownerKind: 'slurm', ownerRef: job };
  const pod = owner['pod'];
  if (pod !== undefined) return { ownerKind: 'pod', ownerRef: `${owner['namespace'] ?? ''}/${pod}` };
  return { ownerKind: null, ownerRef: null };
}
