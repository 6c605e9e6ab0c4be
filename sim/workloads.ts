import type { Random } from './hash.js';
import type { GpuModel } from './models.js';
import type { Workload } from './types.js';
import { createWave, flatWave, type Wave } from './waves.js';

/** Slow load swings: minutes to an hour, so 15-second samples move smoothly. */
const activityPeriodSeconds = [600, 3600] as const;

/** A powered GPU nobody holds: every activity reads exactly 0 and no memory is in use. */
export function createIdleWorkload(): Workload {
  return {
    activity: flatWave,
    noiseRatio: 0,
    smActivePerActivity: 0,
    smOccupancyPerSmActive: 0,
    tensorActivePerActivity: 0,
    dramActivePerActivity: 0,
    fbUsedMib: 0,
    fbJitterMib: 0,
    powerSpanW: 0,
    nvlinkBytesPerSecond: 0,
    pcieTxBytesPerSecond: 0,
    pcieRxBytesPerSecond: 0,
  };
}

/** Watts over idle per unit of activity so that `activityLevel` draws `targetW`. */
function spanFor(model: GpuModel, targetW: number, activityLevel: number): number {
  return (targetW - model.powerIdleW) / activityLevel;
}

function createActivity(random: Random, level: number, swing: number): Wave {
  return createWave(random, level, swing, activityPeriodSeconds);
}

/** An ordinary job: busy enough never to count as idle (activity stays above 0.25). */
export function createBackgroundWorkload(random: Random, model: GpuModel, gpuCount: number): Workload {
  const level = random.between(0.4, 0.8);
  const swing = random.between(0.03, Math.min(0.15, level - 0.27));
  const multiGpu = gpuCount > 1;
  return {
    activity: createActivity(random, level, swing),
    noiseRatio: 0.02,
    smActivePerActivity: random.between(0.8, 0.95),
    smOccupancyPerSmActive: random.between(0.3, 0.6),
    tensorActivePerActivity: random.between(0.15, 0.55),
    dramActivePerActivity: random.between(0.2, 0.5),
    fbUsedMib: Math.round(random.between(0.25, 0.85) * model.fbTotalMib),
    fbJitterMib: 256,
    powerSpanW: spanFor(model, model.powerLimitW * random.between(0.55, 0.8), 1),
    nvlinkBytesPerSecond: multiGpu ? model.nvlinkBytesPerSecond * random.between(0.1, 0.35) : 0,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * random.between(0.002, 0.01),
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * random.between(0.01, 0.05),
  };
}

/** A notebook that allocated 60 GiB and went quiet: activity ~0, memory held, power near idle. */
export function createIdleMemoryHeldWorkload(memoryUsedMib: number): Workload {
  return {
    ...createIdleWorkload(),
    noiseRatio: 0.002,
    smActivePerActivity: 0.8,
    smOccupancyPerSmActive: 0.2,
    fbUsedMib: memoryUsedMib,
    pcieTxBytesPerSecond: 40_000,
    pcieRxBytesPerSecond: 60_000,
  };
}

/** Data-parallel training: GR ~0.95, tensor ~0.7, ~650 W on an H100, heavy NVLink all-reduce. */
export function createBusyTrainingWorkload(random: Random, model: GpuModel): Workload {
  const level = 0.94;
  return {
    activity: createActivity(random, level, 0.025),
    noiseRatio: 0.01,
    smActivePerActivity: 0.97,
    smOccupancyPerSmActive: 0.52,
    tensorActivePerActivity: 0.74,
    dramActivePerActivity: 0.42,
    fbUsedMib: Math.round(model.fbTotalMib * 0.93),
    fbJitterMib: 384,
    powerSpanW: spanFor(model, model.powerLimitW * 0.93, level),
    nvlinkBytesPerSecond: model.nvlinkBytesPerSecond,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.01,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.06,
  };
}

/** Bandwidth-bound kernels: DRAM ~0.85, SM moderate, tensor cores nearly unused. */
export function createMemoryBoundWorkload(random: Random, model: GpuModel): Workload {
  const level = 0.9;
  return {
    activity: createActivity(random, level, 0.03),
    noiseRatio: 0.01,
    smActivePerActivity: 0.55,
    smOccupancyPerSmActive: 0.35,
    tensorActivePerActivity: 0.04,
    dramActivePerActivity: 0.95,
    fbUsedMib: Math.round(model.fbTotalMib * 0.6),
    fbJitterMib: 256,
    powerSpanW: spanFor(model, model.powerLimitW * 0.62, level),
    nvlinkBytesPerSecond: 0,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.005,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.03,
  };
}

/** A busy job on a GPU held back by heat: power stays moderate because clocks are cut. */
export function createThermalThrottledWorkload(random: Random, model: GpuModel): Workload {
  const level = 0.82;
  return {
    activity: createActivity(random, level, 0.04),
    noiseRatio: 0.015,
    smActivePerActivity: 0.88,
    smOccupancyPerSmActive: 0.45,
    tensorActivePerActivity: 0.5,
    dramActivePerActivity: 0.35,
    fbUsedMib: Math.round(model.fbTotalMib * 0.5),
    fbJitterMib: 256,
    powerSpanW: spanFor(model, model.powerLimitW * 0.6, level),
    nvlinkBytesPerSecond: 0,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.005,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.02,
  };
}

/** A MIG instance's job at a given load; `memoryMib` is the instance's own capacity. */
export function createMigWorkload(
  random: Random,
  model: GpuModel,
  level: number,
  memoryMib: number,
): Workload {
  if (level === 0) return { ...createIdleWorkload(), fbUsedMib: 14 };
  return {
    activity: createActivity(random, level, Math.min(0.05, level / 4)),
    noiseRatio: 0.01,
    smActivePerActivity: 0.9,
    smOccupancyPerSmActive: 0.4,
    tensorActivePerActivity: 0.45,
    dramActivePerActivity: 0.3,
    fbUsedMib: Math.round(memoryMib * random.between(0.5, 0.85)),
    fbJitterMib: 64,
    powerSpanW: model.powerLimitW * 0.85 - model.powerIdleW,
    nvlinkBytesPerSecond: 0,
    pcieTxBytesPerSecond: model.pcieBytesPerSecond * 0.002,
    pcieRxBytesPerSecond: model.pcieBytesPerSecond * 0.01,
  };
}

/** Small power ripples (tens of seconds to minutes) so power never reads as a flat line. */
export function createPowerRipples(random: Random, model: GpuModel): Wave[] {
  return [
    createWave(random, 0, model.powerLimitW * 0.004, [37, 61]),
    createWave(random, 0, model.powerLimitW * 0.002, [150, 400]),
  ];
}
