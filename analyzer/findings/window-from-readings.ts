import type { ExporterGpuReading } from '../../collector/nvidia-smi/parse-nvidia-gpu-exporter.js';
import type { DmonReading, QueryGpuReading } from '../../collector/nvidia-smi/types.js';
import type { GpuWindow } from './detect-idle-gpus.js';

/**
 * One sample of one GPU from any source (a nvidia-smi row, an exporter scrape, a simulator tick), in base
 * units. Null is "not known", never zero.
 */
export interface GpuSampleReading {
  /** GR engine activity where the source has it, else utilization.gpu; see `pickActivityRatio`. */
  activityRatio: number | null;
  encoderRatio: number | null;
  decoderRatio: number | null;
  pcieRxBytesPerSecond: number | null;
  pcieTxBytesPerSecond: number | null;
  nvlinkRxBytesPerSecond?: number | null;
  nvlinkTxBytesPerSecond?: number | null;
  memoryUsedBytes: number | null;
  powerWatts: number | null;
  smClockHz: number | null;
  /** The driver's `gpu_idle` clock-event reason was active. */
  gpuIdleClockEvent: boolean | null;
  /** The job holding the GPU at this sample; null when none holds it. */
  jobId: string | null;
}

/** Who the readings are about: everything of GpuWindow that is not aggregated from them. */
export type GpuIdentity = Pick<
  GpuWindow,
  'gpuId' | 'uuid' | 'gpuInstanceId' | 'node' | 'model' | 'migProfile'
> & {
  team?: string | null;
};

/** Evidence judgeIdle does not take but a finding may cite: clocks at their floor, the driver's own idle flag. */
export interface IdleEvidence {
  smClockMaxHz: number | null;
  powerMaxWatts: number | null;
  /** Samples whose gpu_idle clock-event flag was read, and how many of those had it active. */
  gpuIdleFlagSamples: number;
  gpuIdleActiveSamples: number;
}

/** The activity reading the analyzer uses: GR engine activity (profiling) when known, else utilization.gpu. */
export function pickActivityRatio(grEngineActiveRatio: number | null, utilizationGpuRatio: number | null) {
  return grEngineActiveRatio ?? utilizationGpuRatio;
}

/**
 * Aggregates one GPU's readings into the window judgeIdle takes, each reading counting as one sample-minute,
 * as `loadGpuWindows` does in SQL over minute rollups. Maxima and means skip nulls; a figure no reading has
 * stays null. Unlike the SQL, which sums I/O through coalesce and so reads 0, unknown I/O here stays null.
 */
export function computeWindowFromReadings(id: GpuIdentity, readings: readonly GpuSampleReading[]): GpuWindow {
  const jobs = new Set(readings.flatMap((r) => (r.jobId === null ? [] : [r.jobId])));
  const powers = known(readings.map((r) => r.powerWatts));
  return {
    gpuId: id.gpuId,
    uuid: id.uuid,
    gpuInstanceId: id.gpuInstanceId,
    node: id.node,
    model: id.model,
    migProfile: id.migProfile,
    minutes: readings.length,
    activityMinutes: readings.filter((r) => r.activityRatio !== null).length,
    activityMax: max(readings.map((r) => r.activityRatio)),
    // these sources have one utilization reading, already the activity
    gpuUtilMax: null,
    encoderMax: max(readings.map((r) => r.encoderRatio)),
    decoderMax: max(readings.map((r) => r.decoderRatio)),
    ioMaxBytesPerSecond: max(readings.map(ioBytesPerSecond)),
    memoryUsedMaxBytes: max(readings.map((r) => r.memoryUsedBytes)),
    powerMeanWatts: powers.length === 0 ? null : powers.reduce((a, b) => a + b, 0) / powers.length,
    distinctReadings: new Set(readings.map((r) => JSON.stringify([r.activityRatio, r.powerWatts]))).size,
    // none of these sources reads the energy counter
    energyMinutes: 0,
    energyJoules: null,
    heldMinutes: readings.filter((r) => r.jobId !== null).length,
    jobs: jobs.size,
    jobRef: null,
    jobId: jobs.size === 0 ? null : ([...jobs].sort().at(-1) ?? null),
    team: id.team ?? null,
  };
}

export function computeIdleEvidence(readings: readonly GpuSampleReading[]): IdleEvidence {
  const flags = readings.flatMap((r) => (r.gpuIdleClockEvent === null ? [] : [r.gpuIdleClockEvent]));
  return {
    smClockMaxHz: max(readings.map((r) => r.smClockHz)),
    powerMaxWatts: max(readings.map((r) => r.powerWatts)),
    gpuIdleFlagSamples: flags.length,
    gpuIdleActiveSamples: flags.filter(Boolean).length,
  };
}

/** PCIe + NVLink, both directions; null when the reading has none of the four. */
function ioBytesPerSecond(r: GpuSampleReading): number | null {
  const parts = known([
    r.pcieRxBytesPerSecond,
    r.pcieTxBytesPerSecond,
    r.nvlinkRxBytesPerSecond ?? null,
    r.nvlinkTxBytesPerSecond ?? null,
  ]);
  return parts.length === 0 ? null : parts.reduce((a, b) => a + b, 0);
}

function known(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null);
}

function max(values: readonly (number | null)[]): number | null {
  const k = known(values);
  return k.length === 0 ? null : Math.max(...k);
}

/** A `nvidia-smi dmon` row: sm % is the activity (dmon has no GR engine activity). */
export function sampleFromDmon(row: DmonReading, jobId: string | null): GpuSampleReading {
  return {
    activityRatio: row.smRatio,
    encoderRatio: row.encoderRatio,
    decoderRatio: row.decoderRatio,
    pcieRxBytesPerSecond: row.pcieRxBytesPerSecond,
    pcieTxBytesPerSecond: row.pcieTxBytesPerSecond,
    memoryUsedBytes: row.framebufferUsedBytes,
    powerWatts: row.powerWatts,
    smClockHz: row.smClockHz,
    gpuIdleClockEvent: null,
    jobId,
  };
}

/** A `--query-gpu` row or an exporter scrape: the same nvidia-smi fields, already in base units. */
export function sampleFromNvidiaSmi(
  r: QueryGpuReading | ExporterGpuReading,
  jobId: string | null,
): GpuSampleReading {
  return {
    activityRatio: pickActivityRatio(null, r.utilizationGpuRatio),
    encoderRatio: r.encoderUtilizationRatio,
    decoderRatio: r.decoderUtilizationRatio,
    // Neither --query-gpu nor the exporter has PCIe throughput; only `dmon -s t` does.
    pcieRxBytesPerSecond: null,
    pcieTxBytesPerSecond: null,
    memoryUsedBytes: r.memoryUsedBytes,
    powerWatts: r.powerDrawWatts,
    smClockHz: r.smClockHz,
    gpuIdleClockEvent: r.gpuIdleClockEvent,
    jobId,
  };
}
