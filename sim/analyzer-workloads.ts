import type { Random } from './hash.js';
import type { GpuModel } from './models.js';
import type { Workload } from './types.js';
import { createWave } from './waves.js';
import { createBackgroundWorkload, createIdleWorkload } from './workloads.js';

/** The load profiles of the analyzer scenarios (analyzer-scenarios.ts); periods as the background's. */
const activityPeriodSeconds = [600, 3600] as const;

interface Profile {
  level: number;
  swing: number;
  noiseRatio: number;
  smActivePerActivity: number;
  smOccupancyPerSmActive: number;
  tensorActivePerActivity: number;
  dramActivePerActivity: number;
  fbUsedMib: number;
  /** Power drawn at `level`; the rest of the span follows the activity wave. */
  powerW: number;
  nvlinkBytesPerSecond?: number;
  pcieTxBytesPerSecond: number;
  pcieRxBytesPerSecond: number;
}

function createProfileWorkload(random: Random, model: GpuModel, p: Profile): Workload {
  return {
    activity: createWave(random, p.level, p.swing, activityPeriodSeconds),
    noiseRatio: p.noiseRatio,
    smActivePerActivity: p.smActivePerActivity,
    smOccupancyPerSmActive: p.smOccupancyPerSmActive,
    tensorActivePerActivity: p.tensorActivePerActivity,
    dramActivePerActivity: p.dramActivePerActivity,
    fbUsedMib: p.fbUsedMib,
    fbJitterMib: Math.min(256, Math.round(p.fbUsedMib / 64)),
    powerSpanW: (p.powerW - model.powerIdleW) / p.level,
    nvlinkBytesPerSecond: p.nvlinkBytesPerSecond ?? 0,
    pcieTxBytesPerSecond: p.pcieTxBytesPerSecond,
    pcieRxBytesPerSecond: p.pcieRxBytesPerSecond,
  };
}

/** A job holding the GPU with only a CUDA context: activity exactly 0, a little memory, idle power. */
export function createIdleAllocatedWorkload(memoryUsedMib: number): Workload {
  return {
    ...createIdleWorkload(),
    fbUsedMib: memoryUsedMib,
    pcieTxBytesPerSecond: 20_000,
    pcieRxBytesPerSecond: 30_000,
  };
}

/** Video transcoding on NVENC/NVDEC: the graphics engine nearly idle, the codecs busy, power a little up. */
export function createEncoderWorkload(random: Random, model: GpuModel): Workload {
  const workload = createProfileWorkload(random, model, {
    level: 0.024,
    swing: 0.003,
    noiseRatio: 0.002,
    smActivePerActivity: 0.85,
    smOccupancyPerSmActive: 0.3,
    tensorActivePerActivity: 0,
    dramActivePerActivity: 0.5,
    fbUsedMib: 3_072,
    powerW: model.powerIdleW + 45,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.002,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.004,
  });
  return { ...workload, encoderUtilRatio: 0.6, decoderUtilRatio: 0.3 };
}

/** Real training load (GPU_UTIL 90-100 %, ~0.75 of the power limit); pair with `profilingReadsZero`. */
export function createHeavyWorkload(random: Random, model: GpuModel): Workload {
  return createProfileWorkload(random, model, {
    level: 0.93,
    swing: 0.02,
    noiseRatio: 0.01,
    smActivePerActivity: 0.9,
    smOccupancyPerSmActive: 0.45,
    tensorActivePerActivity: 0.5,
    dramActivePerActivity: 0.35,
    fbUsedMib: Math.round(model.fbTotalMib * 0.7),
    powerW: model.powerLimitW * 0.75,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.005,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.03,
  });
}

/** A GPU starved by its data loader: activity ~0.2, SMs busy while it runs, tensor and DRAM light. */
export function createInputBoundWorkload(random: Random, model: GpuModel, gpuCount: number): Workload {
  return createProfileWorkload(random, model, {
    level: 0.2,
    swing: 0.03,
    noiseRatio: 0.01,
    smActivePerActivity: 0.9,
    smOccupancyPerSmActive: 0.35,
    tensorActivePerActivity: 0.1,
    dramActivePerActivity: 0.15,
    fbUsedMib: Math.round(model.fbTotalMib * 0.45),
    powerW: model.powerLimitW * 0.28,
    nvlinkBytesPerSecond: gpuCount > 1 ? model.nvlinkBytesPerSecond * 0.02 : 0,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.002,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.08,
  });
}

/** Many tiny kernels: the engine reads busy (~0.85) while SMs stay mostly empty (~0.3 of it). */
export function createLaunchOverheadWorkload(random: Random, model: GpuModel): Workload {
  return createProfileWorkload(random, model, {
    level: 0.85,
    swing: 0.03,
    noiseRatio: 0.01,
    smActivePerActivity: 0.3,
    smOccupancyPerSmActive: 0.25,
    tensorActivePerActivity: 0.1,
    dramActivePerActivity: 0.1,
    fbUsedMib: Math.round(model.fbTotalMib * 0.3),
    powerW: model.powerLimitW * 0.4,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.004,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.01,
  });
}

/** FP32/FP64 kernels: SMs saturated, tensor cores unused, DRAM moderate. */
export function createComputeBoundWorkload(random: Random, model: GpuModel): Workload {
  return createProfileWorkload(random, model, {
    level: 0.95,
    swing: 0.02,
    noiseRatio: 0.01,
    smActivePerActivity: 0.95,
    smOccupancyPerSmActive: 0.6,
    tensorActivePerActivity: 0.03,
    dramActivePerActivity: 0.3,
    fbUsedMib: Math.round(model.fbTotalMib * 0.5),
    powerW: model.powerLimitW * 0.85,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.002,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.005,
  });
}

/** A small inference job: activity ~0.12 and ~6 GiB, which a 1g.10gb MIG slice would hold. */
export function createSmallJobWorkload(random: Random, model: GpuModel, memoryUsedMib: number): Workload {
  return createProfileWorkload(random, model, {
    level: 0.12,
    swing: 0.015,
    noiseRatio: 0.005,
    smActivePerActivity: 0.85,
    smOccupancyPerSmActive: 0.3,
    tensorActivePerActivity: 0.3,
    dramActivePerActivity: 0.2,
    fbUsedMib: memoryUsedMib,
    powerW: model.powerIdleW + (model.powerLimitW - model.powerIdleW) * 0.12,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.001,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.004,
  });
}

/** The busy half of an over-sized job: background-like load at ~0.7, shared by its GPUs. */
export function createSharedBusyWorkload(random: Random, model: GpuModel, gpuCount: number): Workload {
  const workload = createBackgroundWorkload(random, model, gpuCount);
  return { ...workload, activity: createWave(random, 0.7, 0.05, activityPeriodSeconds) };
}
