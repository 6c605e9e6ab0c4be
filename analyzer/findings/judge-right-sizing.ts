import { Config } from '../../core/config.js';
import { MIG_GPUS, parseGpuFamily, resolveMigGpu } from './mig-profiles.js';

export const RIGHT_SIZING_KINDS = [
  'right_size_gpus',
  'right_size_mig',
  'right_size_model',
  'right_size_spot',
] as const;
export type RightSizingKind = (typeof RIGHT_SIZING_KINDS)[number];

export interface RightSizingThresholds {
  lookbackDays: number;
  /** Never a verdict from fewer hours of minute data than this, per GPU. */
  minHours: number;
  /** A GPU whose p95 activity (of per-minute maxima) stays under this is idle. */
  idleActivityP95: number;
  /** A shape fits when p95 memory used × this fits its memory (and the maximum fits at all). */
  memoryHeadroom: number;
  /** A MIG profile of k of 7 compute slices fits when p95 activity ≤ k/7 × this. */
  migComputeFill: number;
  /** A smaller GPU model is only proposed when the busiest GPU's p95 activity is under this. */
  modelActivityP95Max: number;
  /** Job labels that mark work interruptible (value `true`, `1` or `yes`); only such jobs are proposed for spot. */
  interruptibleLabels: readonly string[];
  /** Priced savings under this are not worth a finding. */
  minMonthlySavingsUsd: number;
  /** Savings at or over this make the finding a warning, else info. */
  warnMonthlySavingsUsd: number;
  hoursPerMonth: number;
  ttlHours: number;
}

/** The shipped defaults (`analyzer.rightSizing` in the config). */
export const DEFAULT_RIGHT_SIZING_THRESHOLDS: RightSizingThresholds = Config.parse({}).analyzer.rightSizing;

/** One GPU of a job over the look-back, aggregated in SQL. */
export interface GpuUsage {
  gpuId: number;
  uuid: string;
  node: string;
  model: string | null;
  migProfile: string | null;
  minutes: number;
  activityMinutes: number;
  /** p95 of the per-minute activity maxima, 0–1. */
  p95Activity: number | null;
  p95MemoryBytes: number | null;
  maxMemoryBytes: number | null;
  memoryTotalBytes: number | null;
  /** Highest encoder or decoder use in a minute: NVENC/NVDEC work that MIG slices and small models lack. */
  codecMax: number | null;
  /** The GPU's data is in doubt (GR engine reading 0 under GPU_UTIL load, or a frozen series): no verdict. */
  suspect: boolean;
}

export interface JobUsage {
  jobRef: number;
  jobId: string;
  team: string | null;
  gpusAllocated: number;
  labels: Record<string, string>;
  /** Over all of the job's GPU-minutes. */
  p95Activity: number | null;
  p95MemoryBytes: number | null;
  gpus: GpuUsage[];
}

/** A GPU model one can move to, and its cheapest $ per GPU-hour. */
export interface ModelOffer {
  gpuModel: string;
  memoryBytes: number;
  usdPerGpuHour: number;
  /** null for a price-book (per GPU-hour) price. */
  instanceType: string | null;
  region: string;
}

/** A node the job runs on, as an instance, with the prices of its type. */
export interface NodeMarket {
  node: string;
  instanceType: string;
  region: string;
  market: string;
  gpuCount: number | null;
  onDemandUsd: number | null;
  spotUsd: number | null;
  /** The job's GPUs on the node: the share of the instance it moves. */
  jobGpus: number;
}

export interface SpotInterruption {
  label: string;
  maxPercent: number;
}

export type MigrationEffort = 'VeryLow' | 'Low' | 'Medium' | 'High';

/** Compute Optimizer's vocabulary: a finding, reason codes, current vs projected, risk 0 (very low) – 4. */
export interface RightSizingOption {
  kind: RightSizingKind;
  reasonCodes: string[];
  current: { shape: string; p95Activity: number | null; p95MemoryRatio: number | null };
  recommended: { shape: string; p95Activity: number | null; p95MemoryRatio: number | null };
  performanceRisk: number;
  migrationEffort: MigrationEffort;
  /** null when the job's price is unknown. */
  monthlySavingsUsd: number | null;
  extra: Record<string, number | string | null>;
}

export type RightSizingVerdict =
  | { finding: 'Overprovisioned'; option: RightSizingOption }
  | { finding: 'Optimized' | 'Unavailable'; reason: string };

const unavailable = (reason: string): RightSizingVerdict => ({ finding: 'Unavailable', reason });
const optimized = (reason: string): RightSizingVerdict => ({ finding: 'Optimized', reason });

export function riskOf(performanceRisk: number): 'low' | 'medium' | 'high' {
  return performanceRisk <= 1 ? 'low' : performanceRisk === 2 ? 'medium' : 'high';
}

/** Every allocated GPU seen, each with `minHours` of activity readings: else no verdict. */
function missingData(job: JobUsage, t: RightSizingThresholds): string | undefined {
  const need = t.minHours * 60;
  if (job.gpus.length === 0) return 'InsufficientData: no GPU telemetry';
  if (job.gpus.length < job.gpusAllocated) return 'InsufficientData: not every allocated GPU is seen';
  if (job.gpus.some((g) => g.activityMinutes < need || g.p95Activity === null || g.p95MemoryBytes === null)) {
    return `InsufficientData: under ${t.minHours} h of readings`;
  }
  return undefined;
}

function overprovisioned(option: RightSizingOption, t: RightSizingThresholds): RightSizingVerdict {
  const s = option.monthlySavingsUsd;
  if (s !== null && s < t.minMonthlySavingsUsd)
    return optimized(`savings $${s.toFixed(2)}/month under the floor`);
  return { finding: 'Overprovisioned', option };
}

const ratio = (used: number | null, total: number | null) =>
  used === null || !total ? null : round4(used / total);
const shape = (n: number, model: string | null) => `${n} × ${model ?? 'GPU'}`;

/** Idle GPUs in a job that keeps others busy: recommend only the busy ones. All idle is the idle detector's. */
export function judgeGpuCount(job: JobUsage, usdPerGpuHour: number | null, t: RightSizingThresholds) {
  const missing = missingData(job, t);
  if (missing) return unavailable(missing);
  const idle = job.gpus.filter((g) => (g.p95Activity ?? 1) < t.idleActivityP95);
  if (idle.length === 0) return optimized('every GPU busy');
  if (idle.length === job.gpus.length) return unavailable('every GPU idle: an idle-GPU finding');
  const busy = job.gpus.filter((g) => !idle.includes(g));
  const model = job.gpus[0]?.model ?? null;
  // idle GPUs holding memory likely hold model shards: dropping them means re-sharding
  const shards = idle.some((g) => (ratio(g.maxMemoryBytes, g.memoryTotalBytes) ?? 0) > 0.1);
  return overprovisioned(
    {
      kind: 'right_size_gpus',
      reasonCodes: ['GPUOverprovisioned'],
      current: { shape: shape(job.gpusAllocated, model), p95Activity: job.p95Activity, p95MemoryRatio: null },
      recommended: {
        shape: shape(job.gpusAllocated - idle.length, model),
        p95Activity: Math.max(...busy.map((g) => g.p95Activity ?? 0)),
        p95MemoryRatio: null,
      },
      performanceRisk: shards ? 2 : 1,
      migrationEffort: 'Low',
      monthlySavingsUsd: usdPerGpuHour === null ? null : idle.length * usdPerGpuHour * t.hoursPerMonth,
      extra: { idleGpus: idle.length, idleGpuIds: idle.map((g) => g.uuid).join(',') },
    },
    t,
  );
}

/** Memory the job needs on one GPU: its p95 with headroom, and never less than its peak. */
function memoryNeedBytes(job: JobUsage, t: RightSizingThresholds): number {
  return Math.max(
    ...job.gpus.map((g) => Math.max((g.p95MemoryBytes ?? 0) * t.memoryHeadroom, g.maxMemoryBytes ?? 0)),
  );
}

/** A 1-GPU job on an A100/H100/H200 that the smallest fitting MIG profile (not the whole GPU) would serve. */
/**
 * Why a job's GPUs should not move to a MIG slice or a smaller model, if they should not: MIG slices and the small
 * inference parts lack most of the video engines, and a job that does nothing at all should release its GPUs (the
 * idle detector says so), not move to a smaller one.
 */
function shapeChangeBlocked(job: JobUsage, t: RightSizingThresholds): string | undefined {
  if (job.gpus.some((g) => (g.codecMax ?? 0) > CODEC_ACTIVE)) return 'uses the video encoder or decoder';
  if (job.gpus.every((g) => (g.p95Activity ?? 1) < t.idleActivityP95)) return 'idle: release, not resize';
  return undefined;
}

/** Encoder or decoder use above this is real video work. */
const CODEC_ACTIVE = 0.05;

export function judgeMig(job: JobUsage, usdPerGpuHour: number | null, t: RightSizingThresholds) {
  const g = job.gpus[0];
  if (job.gpusAllocated !== 1 || job.gpus.length !== 1 || !g) return unavailable('not a 1-GPU job');
  if (g.migProfile) return unavailable('already a MIG instance');
  const shapeCheck = shapeChangeBlocked(job, t);
  if (shapeCheck) return unavailable(shapeCheck);
  const mig = resolveMigGpu(g.model, g.memoryTotalBytes);
  if (!mig) return unavailable('GPU without MIG profiles');
  const missing = missingData(job, t);
  if (missing) return unavailable(missing);
  const need = memoryNeedBytes(job, t);
  const activity = g.p95Activity ?? 1;
  const fit = mig.profiles
    .slice(0, -1)
    .find((p) => need <= p.memoryGb * 1e9 && activity <= (p.computeSlices / 7) * t.migComputeFill);
  if (!fit) return optimized('needs the whole GPU (memory or compute)');
  const projectedActivity = round4((activity * 7) / fit.computeSlices);
  const projectedMemory = ratio(g.p95MemoryBytes, fit.memoryGb * 1e9);
  return overprovisioned(
    {
      kind: 'right_size_mig',
      reasonCodes: ['GPUOverprovisioned', 'GPUMemoryOverprovisioned', 'GPUComputeOverprovisioned'],
      current: {
        shape: shape(1, g.model),
        p95Activity: g.p95Activity,
        p95MemoryRatio: ratio(g.p95MemoryBytes, g.memoryTotalBytes ?? mig.memoryGb * 1e9),
      },
      recommended: {
        shape: `MIG ${fit.name}`,
        p95Activity: projectedActivity,
        p95MemoryRatio: projectedMemory,
      },
      performanceRisk: projectedActivity > 0.6 || (projectedMemory ?? 0) > 0.7 ? 2 : 1,
      migrationEffort: 'Medium',
      monthlySavingsUsd:
        usdPerGpuHour === null ? null : (1 - fit.computeSlices / 7) * usdPerGpuHour * t.hoursPerMonth,
      extra: { migProfile: fit.name, computeSlices: fit.computeSlices, migGpu: mig.key },
    },
    t,
  );
}

/**
 * A lightly loaded job whose memory fits a cheaper GPU model: the cheapest offer of another family. Compute
 * differs between models and there is no throughput table here, so the projected activity is left null and
 * the risk is 2–3.
 */
export function judgeModel(
  job: JobUsage,
  usdPerGpuHour: number | null,
  offers: readonly ModelOffer[],
  gpusAfterRightSizing: number,
  t: RightSizingThresholds,
) {
  const missing = missingData(job, t);
  if (missing) return unavailable(missing);
  const shapeCheck = shapeChangeBlocked(job, t);
  if (shapeCheck) return unavailable(shapeCheck);
  if (usdPerGpuHour === null) return unavailable('current price unknown');
  const busiest = Math.max(...job.gpus.map((g) => g.p95Activity ?? 1));
  if (busiest >= t.modelActivityP95Max) return optimized('compute too busy for a smaller GPU');
  const model = job.gpus[0]?.model ?? null;
  const family = parseGpuFamily(model);
  const need = memoryNeedBytes(job, t);
  let best: ModelOffer | undefined;
  for (const o of offers) {
    if (parseGpuFamily(o.gpuModel) === family || o.memoryBytes < need || o.usdPerGpuHour >= usdPerGpuHour)
      continue;
    if (
      !best ||
      o.usdPerGpuHour < best.usdPerGpuHour ||
      (o.usdPerGpuHour === best.usdPerGpuHour && o.memoryBytes > best.memoryBytes)
    ) {
      best = o;
    }
  }
  if (!best) return optimized('no cheaper GPU model with enough memory');
  const p95Memory = Math.max(...job.gpus.map((g) => g.p95MemoryBytes ?? 0));
  const projectedMemory = ratio(p95Memory, best.memoryBytes);
  return overprovisioned(
    {
      kind: 'right_size_model',
      reasonCodes: ['GPUOverprovisioned', 'GPUMemoryOverprovisioned', 'GPUComputeOverprovisioned'],
      current: {
        shape: shape(gpusAfterRightSizing, model),
        p95Activity: busiest,
        p95MemoryRatio: ratio(p95Memory, job.gpus[0]?.memoryTotalBytes ?? null),
      },
      recommended: {
        shape: shape(gpusAfterRightSizing, best.gpuModel),
        p95Activity: null,
        p95MemoryRatio: projectedMemory,
      },
      performanceRisk: (projectedMemory ?? 1) > 0.8 || busiest >= t.modelActivityP95Max / 2 ? 3 : 2,
      migrationEffort: 'Medium',
      monthlySavingsUsd: (usdPerGpuHour - best.usdPerGpuHour) * gpusAfterRightSizing * t.hoursPerMonth,
      extra: {
        gpuModel: best.gpuModel,
        instanceType: best.instanceType,
        region: best.region || null,
        usdPerGpuHour: round4(best.usdPerGpuHour),
      },
    },
    t,
  );
}

/**
 * The highest p95 activity any usage verdict accepts: idle GPUs, a smaller model, or the largest MIG slice short of
 * the whole GPU at its fill. A job whose p95 is over it can only get a spot verdict.
 */
export function rightSizingActivityBound(t: RightSizingThresholds): number {
  const slices = Math.max(...MIG_GPUS.map((g) => g.profiles.at(-2)?.computeSlices ?? 0));
  return Math.max(t.idleActivityP95, t.modelActivityP95Max, (slices / 7) * t.migComputeFill);
}

export function isInterruptible(labels: Record<string, string>, t: RightSizingThresholds): boolean {
  return t.interruptibleLabels.some((k) => /^(true|1|yes)$/i.test(labels[k] ?? ''));
}

/** Spot advisor buckets (`<5%` … `>20%`) → performance risk 1–4; unknown is 2. */
export function spotPerformanceRisk(i: SpotInterruption | undefined): number {
  if (!i) return 2;
  return i.maxPercent <= 5 ? 1 : i.maxPercent <= 11 ? 2 : i.maxPercent <= 22 ? 3 : 4;
}

/** An interruptible job on on-demand instances that have a spot price: its share of each instance to spot. */
export function judgeSpot(
  job: JobUsage,
  nodes: readonly NodeMarket[],
  interruption: (region: string, instanceType: string) => SpotInterruption | undefined,
  t: RightSizingThresholds,
) {
  if (!isInterruptible(job.labels, t)) return unavailable('not marked interruptible');
  const missing = missingData(job, t);
  if (missing) return unavailable(missing);
  const movable = nodes.filter(
    (n) => n.market === 'on-demand' && n.onDemandUsd !== null && n.spotUsd !== null,
  );
  if (movable.length === 0) return unavailable('no on-demand instance with a spot price');
  let savings = 0;
  let worst: SpotInterruption | undefined;
  let known = true;
  for (const n of movable) {
    const share = n.gpuCount ? Math.min(1, n.jobGpus / n.gpuCount) : 1;
    savings += ((n.onDemandUsd ?? 0) - (n.spotUsd ?? 0)) * share * t.hoursPerMonth;
    const i = interruption(n.region, n.instanceType);
    if (!i) known = false;
    else if (!worst || i.maxPercent > worst.maxPercent) worst = i;
  }
  if (savings <= 0) return optimized('spot no cheaper than on-demand');
  const types = [...new Set(movable.map((n) => n.instanceType))].join(',');
  return overprovisioned(
    {
      kind: 'right_size_spot',
      reasonCodes: ['InterruptibleWorkOnOnDemand'],
      current: {
        shape: `${movable.length} × ${types} on-demand`,
        p95Activity: job.p95Activity,
        p95MemoryRatio: null,
      },
      recommended: {
        shape: `${movable.length} × ${types} spot`,
        p95Activity: job.p95Activity,
        p95MemoryRatio: null,
      },
      performanceRisk: known ? spotPerformanceRisk(worst) : Math.max(2, spotPerformanceRisk(worst)),
      migrationEffort: 'Low',
      monthlySavingsUsd: savings,
      extra: {
        instanceTypes: types,
        interruptionBucket: known ? (worst?.label ?? null) : 'unknown',
        onDemandUsdPerHour: round4(movable.reduce((s, n) => s + (n.onDemandUsd ?? 0), 0)),
        spotUsdPerHour: round4(movable.reduce((s, n) => s + (n.spotUsd ?? 0), 0)),
      },
    },
    t,
  );
}

export const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
