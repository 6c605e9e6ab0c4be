import { listGpuSpans, resolveGpuAt } from './gpu-schedule.js';
import { hashToSigned } from './hash.js';
import { type GpuModel, throttleReason } from './models.js';
import type { ActivitySample, GpuSample, SimGpu, Workload } from './types.js';
import { evaluateWave, integrateWave } from './waves.js';

export const sampleTickMs = 15_000;

/** Noise salts, one per reading, so readings of one GPU do not move in lockstep. */
const salt = {
  activity: 1,
  smActive: 2,
  occupancy: 3,
  tensor: 4,
  dram: 5,
  fb: 6,
  temp: 7,
  memTemp: 8,
  clock: 9,
  nvlinkTx: 10,
  nvlinkRx: 11,
  pcieTx: 12,
  pcieRx: 13,
  encoder: 14,
  decoder: 15,
} as const;

interface NoiseContext {
  key: number;
  tick: number;
}

function noise(ctx: NoiseContext, which: number, sub = 0): number {
  return hashToSigned(ctx.key, ctx.tick, which, sub);
}

function clampRatio(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function sampleActivity(
  workload: Workload,
  capacityMib: number,
  seconds: number,
  ctx: NoiseContext,
  sub: number,
): ActivitySample {
  const base = evaluateWave(workload.activity, seconds);
  const active =
    base === 0 && workload.noiseRatio === 0 ? 0 : base + workload.noiseRatio * noise(ctx, salt.activity, sub);
  const gr = clampRatio(active);
  const sm = clampRatio(gr * workload.smActivePerActivity * (1 + 0.02 * noise(ctx, salt.smActive, sub)));
  const jitterMib = Math.round(workload.fbJitterMib * noise(ctx, salt.fb, sub));
  const fbUsedMib = Math.min(capacityMib, Math.max(0, workload.fbUsedMib + jitterMib));
  return {
    grEngineActiveRatio: gr,
    smActiveRatio: sm,
    smOccupancyRatio: clampRatio(
      sm * workload.smOccupancyPerSmActive * (1 + 0.03 * noise(ctx, salt.occupancy, sub)),
    ),
    tensorActiveRatio: clampRatio(
      gr * workload.tensorActivePerActivity * (1 + 0.03 * noise(ctx, salt.tensor, sub)),
    ),
    dramActiveRatio: clampRatio(
      gr * workload.dramActivePerActivity * (1 + 0.02 * noise(ctx, salt.dram, sub)),
    ),
    fbUsedMib,
    fbFreeMib: capacityMib - fbUsedMib,
  };
}

interface PowerTerm {
  workload: Workload;
  weight: number;
}

function listPowerTerms(gpu: SimGpu): PowerTerm[] {
  if (gpu.instances.length === 0) return [{ workload: gpu.workload, weight: 1 }];
  return gpu.instances.map((instance) => ({ workload: instance.workload, weight: instance.powerWeight }));
}

/** Power is idle plus waves only, so the energy counter below is its exact integral. */
function computePowerW(model: GpuModel, gpu: SimGpu, terms: PowerTerm[], seconds: number): number {
  let watts = model.powerIdleW;
  for (const term of terms)
    watts += term.weight * term.workload.powerSpanW * evaluateWave(term.workload.activity, seconds);
  for (const ripple of gpu.ripples) watts += evaluateWave(ripple, seconds);
  return watts;
}

function computeEnergyMj(model: GpuModel, gpu: SimGpu, terms: PowerTerm[], seconds: number): number {
  const bootSeconds = -gpu.uptimeSeconds;
  let joules = model.powerIdleW * (seconds - bootSeconds);
  for (const term of terms) {
    joules +=
      term.weight * term.workload.powerSpanW * integrateWave(term.workload.activity, bootSeconds, seconds);
  }
  return finishEnergyMj(gpu, joules, bootSeconds, seconds);
}

function finishEnergyMj(gpu: SimGpu, joules: number, bootSeconds: number, seconds: number): number {
  for (const ripple of gpu.ripples) joules += integrateWave(ripple, bootSeconds, seconds);
  return Math.round(joules * 1000);
}

/** A scheduled (whole) GPU's energy: each span's load integrated over the part of it since boot. */
function computeScheduledEnergyMj(model: GpuModel, gpu: SimGpu, epochMs: number, seconds: number): number {
  const bootSeconds = -gpu.uptimeSeconds;
  let joules = model.powerIdleW * (seconds - bootSeconds);
  for (const span of listGpuSpans(gpu)) {
    const fromS = Math.max(bootSeconds, (span.fromMs - epochMs) / 1000);
    const toS = Math.min(seconds, (span.toMs - epochMs) / 1000);
    if (toS > fromS) joules += span.workload.powerSpanW * integrateWave(span.workload.activity, fromS, toS);
  }
  return finishEnergyMj(gpu, joules, bootSeconds, seconds);
}

function findXidCode(gpu: SimGpu, tMs: number): number {
  for (const event of gpu.xidEvents) if (tMs >= event.fromMs && tMs < event.toMs) return event.code;
  return 0;
}

function sumActivity(samples: ActivitySample[], weights: number[]): ActivitySample {
  const total: ActivitySample = {
    grEngineActiveRatio: 0,
    smActiveRatio: 0,
    smOccupancyRatio: 0,
    tensorActiveRatio: 0,
    dramActiveRatio: 0,
    fbUsedMib: 0,
    fbFreeMib: 0,
  };
  samples.forEach((sample, i) => {
    const weight = weights[i] ?? 0;
    total.grEngineActiveRatio += weight * sample.grEngineActiveRatio;
    total.smActiveRatio += weight * sample.smActiveRatio;
    total.smOccupancyRatio += weight * sample.smOccupancyRatio;
    total.tensorActiveRatio += weight * sample.tensorActiveRatio;
    total.dramActiveRatio += weight * sample.dramActiveRatio;
    total.fbUsedMib += sample.fbUsedMib;
    total.fbFreeMib += sample.fbFreeMib;
  });
  return total;
}

function sampleActivities(gpu: SimGpu, model: GpuModel, seconds: number, ctx: NoiseContext) {
  if (gpu.instances.length === 0) {
    const capacityMib = model.fbTotalMib - model.fbReservedMib;
    return { activity: sampleActivity(gpu.workload, capacityMib, seconds, ctx, 0), instances: [] };
  }
  const instances = gpu.instances.map((instance, i) =>
    sampleActivity(instance.workload, instance.memoryMib, seconds, ctx, i + 1),
  );
  const weights = gpu.instances.map((instance) => instance.powerWeight);
  return { activity: sumActivity(instances, weights), instances };
}

function sumLinkRates(
  terms: PowerTerm[],
  seconds: number,
): { nvlink: number; pcieTx: number; pcieRx: number } {
  const rates = { nvlink: 0, pcieTx: 0, pcieRx: 0 };
  for (const { workload } of terms) {
    const active = clampRatio(evaluateWave(workload.activity, seconds));
    rates.nvlink += active * workload.nvlinkBytesPerSecond;
    rates.pcieTx += workload.pcieTxBytesPerSecond * (active === 0 ? 1 : active);
    rates.pcieRx += workload.pcieRxBytesPerSecond * (active === 0 ? 1 : active);
  }
  return rates;
}

interface HeatReadings {
  smClockMhz: number;
  gpuTempC: number;
  memoryTempC: number;
  throttleReasonsMask: number;
}

function computeHeat(
  model: GpuModel,
  gpu: SimGpu,
  powerW: number,
  isIdle: boolean,
  ctx: NoiseContext,
): HeatReadings {
  const thermal = gpu.thermal;
  if (thermal) {
    return {
      smClockMhz: thermal.smClockMhz + 15 * Math.round(noise(ctx, salt.clock)),
      gpuTempC: thermal.gpuTempC + Math.round(noise(ctx, salt.temp)),
      memoryTempC: thermal.memoryTempC + Math.round(noise(ctx, salt.memTemp)),
      throttleReasonsMask: thermal.throttleReasonsMask,
    };
  }
  const powerFraction = (powerW - model.powerIdleW) / (model.powerLimitW - model.powerIdleW);
  const gpuTempC = Math.round(
    model.gpuTempIdleC + powerFraction * (model.gpuTempAtLimitC - model.gpuTempIdleC) + noise(ctx, salt.temp),
  );
  const powerCapped = powerW >= model.powerLimitW * 0.95;
  return {
    smClockMhz: isIdle ? model.smClockIdleMhz : model.smClockMaxMhz,
    gpuTempC,
    memoryTempC: gpuTempC + 7,
    throttleReasonsMask: isIdle ? throttleReason.gpuIdle : powerCapped ? throttleReason.swPowerCap : 0,
  };
}

/** NVENC/NVDEC busy percent of a whole GPU's workload: its steady ratio ± 3 %, 0 when unused. */
function computeCodecPercent(ratio: number | undefined, ctx: NoiseContext, which: number): number {
  if (!ratio) return 0;
  return Math.round(clampRatio(ratio + 0.03 * noise(ctx, which)) * 100);
}

function countEccErrors(gpu: SimGpu, tMs: number): { sbe: number; remappedRows: number } {
  const fault = gpu.eccFault;
  if (!fault || tMs < fault.fromMs) return { sbe: 0, remappedRows: 0 };
  const sbe = Math.floor(((tMs - fault.fromMs) / 60_000) * fault.sbePerMinute);
  return { sbe, remappedRows: tMs >= fault.remapAtMs ? 1 : 0 };
}

/** What DCGM prints when its profiling module reads nothing: the ratios at 0, memory as it is. */
function zeroProfiling(activity: ActivitySample): ActivitySample {
  return {
    grEngineActiveRatio: 0,
    smActiveRatio: 0,
    smOccupancyRatio: 0,
    tensorActiveRatio: 0,
    dramActiveRatio: 0,
    fbUsedMib: activity.fbUsedMib,
    fbFreeMib: activity.fbFreeMib,
  };
}

/** Every reading of one GPU at `tMs`: a pure function of the GPU, its model and the time. */
export function computeGpuSample(
  scheduled: SimGpu,
  model: GpuModel,
  epochMs: number,
  tMs: number,
): GpuSample {
  const gpu = resolveGpuAt(scheduled, tMs);
  const frozen = gpu.frozen;
  if (frozen && tMs >= frozen.fromMs) {
    const { sample } = frozen;
    return {
      ...sample,
      activity: { ...sample.activity },
      instances: sample.instances.map((i) => ({ ...i })),
    };
  }
  const seconds = (tMs - epochMs) / 1000;
  const ctx: NoiseContext = { key: gpu.noiseKey, tick: Math.floor(tMs / sampleTickMs) };
  const terms = listPowerTerms(gpu);
  const { activity, instances } = sampleActivities(gpu, model, seconds, ctx);
  let busiest = activity.grEngineActiveRatio;
  for (const instance of instances) busiest = Math.max(busiest, instance.grEngineActiveRatio);
  const powerW = Math.round(computePowerW(model, gpu, terms, seconds) * 1000) / 1000;
  const whole = gpu.instances.length === 0 ? gpu.workload : undefined;
  const codecBusy = (whole?.encoderUtilRatio ?? 0) > 0 || (whole?.decoderUtilRatio ?? 0) > 0;
  const heat = computeHeat(model, gpu, powerW, busiest < 0.02 && !codecBusy, ctx);
  const links = sumLinkRates(terms, seconds);
  const ecc = countEccErrors(gpu, tMs);
  // Fields listed one by one: spreading `heat` here made each sample ~20x slower in V8.
  return {
    smClockMhz: heat.smClockMhz,
    gpuTempC: heat.gpuTempC,
    memoryTempC: heat.memoryTempC,
    throttleReasonsMask: heat.throttleReasonsMask,
    memClockMhz: model.memClockMhz,
    powerW,
    energyMj: scheduled.schedule
      ? computeScheduledEnergyMj(model, scheduled, epochMs, seconds)
      : computeEnergyMj(model, gpu, terms, seconds),
    pcieReplayCount: 0,
    eccSbeVolatileTotal: ecc.sbe,
    eccDbeVolatileTotal: 0,
    rowRemapFailure: 0,
    uncorrectableRemappedRows: 0,
    correctableRemappedRows: ecc.remappedRows,
    powerLimitW: model.powerLimitW,
    gpuUtilPercent: Math.round(clampRatio(activity.grEngineActiveRatio * 1.04) * 100),
    memCopyUtilPercent: Math.round(activity.dramActiveRatio * 90),
    encUtilPercent: computeCodecPercent(whole?.encoderUtilRatio, ctx, salt.encoder),
    decUtilPercent: computeCodecPercent(whole?.decoderUtilRatio, ctx, salt.decoder),
    xidCode: findXidCode(gpu, tMs),
    pcieTxBytesPerSecond: Math.round(links.pcieTx * (1 + 0.05 * noise(ctx, salt.pcieTx))),
    pcieRxBytesPerSecond: Math.round(links.pcieRx * (1 + 0.05 * noise(ctx, salt.pcieRx))),
    nvlinkTxBytesPerSecond: Math.round(links.nvlink * (1 + 0.03 * noise(ctx, salt.nvlinkTx))),
    nvlinkRxBytesPerSecond: Math.round(links.nvlink * (1 + 0.03 * noise(ctx, salt.nvlinkRx))),
    activity: gpu.profilingReadsZero ? zeroProfiling(activity) : activity,
    instances,
  };
}
