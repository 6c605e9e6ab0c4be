import type { GpuModel } from './models.js';
import type { Wave } from './waves.js';

export type Scheduler = 'kubernetes' | 'slurm';

/** dcgm-exporter printed `Hostname` until 2026; newer builds print `hostname`. */
export type HostnameLabelKey = 'Hostname' | 'hostname';

export interface PodRef {
  namespace: string;
  pod: string;
  container: string;
}

/** Who holds a GPU (or MIG instance): a Kubernetes pod or a Slurm job; absent when unallocated. */
export type Allocation = { kind: 'pod'; pod: PodRef } | { kind: 'slurm'; jobId: string };

/** What runs on a GPU or MIG instance. Ratios are derived from the activity wave at sample time. */
export interface Workload {
  /** Graphics-engine active ratio (0-1) before per-tick noise; level ± swing stays inside [0, 1]. */
  activity: Wave;
  noiseRatio: number;
  smActivePerActivity: number;
  smOccupancyPerSmActive: number;
  tensorActivePerActivity: number;
  dramActivePerActivity: number;
  fbUsedMib: number;
  fbJitterMib: number;
  /** Watts over idle at activity 1, scaled by the instance's share of the GPU. */
  powerSpanW: number;
  nvlinkBytesPerSecond: number;
  pcieTxBytesPerSecond: number;
  pcieRxBytesPerSecond: number;
  /** InfiniBand payload each way at activity 1 for a job spanning nodes; absent: local I/O only. */
  ibBytesPerSecond?: number;
  /** NVENC / NVDEC busy ratio (0-1), steady; absent: the video engines are unused. */
  encoderUtilRatio?: number;
  decoderUtilRatio?: number;
}

export interface XidEvent {
  fromMs: number;
  toMs: number;
  code: number;
}

/** Overrides for a GPU held at its thermal limit. */
export interface ThermalCondition {
  gpuTempC: number;
  memoryTempC: number;
  smClockMhz: number;
  throttleReasonsMask: number;
}

export interface SimGpuInstance {
  profile: string;
  gpuInstanceId: number;
  memoryMib: number;
  /** Share of the GPU's power span this instance can draw (its compute slices / 7). */
  powerWeight: number;
  workload: Workload;
  allocation: Allocation | undefined;
}

export interface SimGpu {
  index: number;
  uuid: string;
  pciBusId: string;
  /** Per-GPU hash input for noise, unique within the fleet. */
  noiseKey: number;
  /** Seconds the GPU had been up at the fleet's start; the energy counter starts at boot. */
  uptimeSeconds: number;
  workload: Workload;
  allocation: Allocation | undefined;
  /** Non-empty when the GPU is MIG-partitioned; then `workload`/`allocation` are unused. */
  instances: SimGpuInstance[];
  ripples: Wave[];
  thermal: ThermalCondition | undefined;
  xidEvents: XidEvent[];
  /** NVLink errors counting up from `fromMs`; absent on a healthy GPU. */
  nvlinkFault?: NvlinkFault;
  /** The known DCGM fault: every profiling ratio (GR, SM, occupancy, tensor, DRAM) reads 0 under load. */
  profilingReadsZero?: boolean;
  /** A stuck exporter: from `fromMs` on, every reading repeats `sample`. */
  frozen?: { fromMs: number; sample: GpuSample };
  /** Single-bit ECC errors counting up from `fromMs`, and one correctable row remap at `remapAtMs`. */
  eccFault?: EccFault;
  /**
   * A whole GPU changing hands: from each phase's `fromMs` until the next one's, its allocation and workload
   * replace `allocation`/`workload`, which hold before the first. Absent: they hold all the time.
   */
  schedule?: GpuPhase[];
}

export interface GpuPhase {
  fromMs: number;
  allocation: Allocation | undefined;
  workload: Workload;
}

export interface EccFault {
  fromMs: number;
  sbePerMinute: number;
  remapAtMs: number;
}

export interface NvlinkFault {
  fromMs: number;
  crcFlitPerSecond: number;
  crcDataPerSecond: number;
  replayPerSecond: number;
  recoveryPerSecond: number;
}

/** A planted InfiniBand port condition on the HCA serving GPU `gpuIndex`. */
export type IbPortFault =
  | { kind: 'wrap'; gpuIndex: number; firstWrapMs: number; bytesPerSecond: number }
  | { kind: 'reset'; gpuIndex: number; resetAtMs: number }
  | { kind: 'flap'; gpuIndex: number; downIntervals: { fromMs: number; toMs: number }[] }
  | { kind: 'congested'; gpuIndex: number; txBytesPerSecond: number; xmitWaitPerSecond: number };

export interface SimNode {
  name: string;
  index: number;
  model: GpuModel;
  driverVersion: string;
  hostnameLabelKey: HostnameLabelKey;
  scheduler: Scheduler;
  /** The endpoint accepts connections and never answers. */
  exporterHangs: boolean;
  gpus: SimGpu[];
  ibPortFaults?: IbPortFault[];
}

/** Activity readings for one whole GPU or one MIG instance. */
export interface ActivitySample {
  grEngineActiveRatio: number;
  smActiveRatio: number;
  smOccupancyRatio: number;
  tensorActiveRatio: number;
  dramActiveRatio: number;
  fbUsedMib: number;
  fbFreeMib: number;
}

export interface GpuSample {
  smClockMhz: number;
  memClockMhz: number;
  memoryTempC: number;
  gpuTempC: number;
  powerW: number;
  energyMj: number;
  pcieReplayCount: number;
  /** Volatile ECC error counters (since the last driver load); 0 and not moving on a healthy GPU. */
  eccSbeVolatileTotal: number;
  eccDbeVolatileTotal: number;
  /** 1 once a row remap has failed (the GPU needs a reset or RMA), else 0. */
  rowRemapFailure: number;
  uncorrectableRemappedRows: number;
  correctableRemappedRows: number;
  /** The enforced power limit (DCGM_FI_DEV_POWER_MGMT_LIMIT), the model's TDP unless capped. */
  powerLimitW: number;
  gpuUtilPercent: number;
  memCopyUtilPercent: number;
  encUtilPercent: number;
  decUtilPercent: number;
  xidCode: number;
  throttleReasonsMask: number;
  pcieTxBytesPerSecond: number;
  pcieRxBytesPerSecond: number;
  nvlinkTxBytesPerSecond: number;
  nvlinkRxBytesPerSecond: number;
  /** Whole-GPU activity; for a MIG GPU, the sum over instances weighted by compute slices. */
  activity: ActivitySample;
  /** One per MIG instance, in the order of `SimGpu.instances`. */
  instances: ActivitySample[];
}
