import { createPodAllocation, createPodSuffix } from './allocations.js';
import {
  createComputeBoundWorkload,
  createEncoderWorkload,
  createHeavyWorkload,
  createIdleAllocatedWorkload,
  createInputBoundWorkload,
  createLaunchOverheadWorkload,
  createSharedBusyWorkload,
  createSmallJobWorkload,
} from './analyzer-workloads.js';
import type { NodeConstraints } from './fleet-layout.js';
import type { AnalyzerScenarioTruth, ScenarioTruth } from './ground-truth.js';
import { createRandom, hashInts, type Random } from './hash.js';
import { computeGpuSample } from './sample.js';
import { countScenariosPerKind } from './scenarios.js';
import type { Allocation, PodRef, SimGpu, SimNode } from './types.js';
import { createBackgroundWorkload } from './workloads.js';

type AnalyzerKind = AnalyzerScenarioTruth['kind'];
type GpuKind = Exclude<AnalyzerKind, 'fewer-gpus' | 'driver-drift' | 'job-gap'>;

/** The GPU scenarios, how many GPUs of one node each takes, and the job name a pod gets. */
const gpuKinds: readonly (readonly [GpuKind, number, string])[] = [
  ['idle-allocated', 1, 'llm-finetune'],
  ['encoder-only', 1, 'video-transcode'],
  ['gr-engine-zero', 1, 'pretrain'],
  ['input-bound', 2, 'image-train'],
  ['launch-overhead', 1, 'rl-rollout'],
  ['compute-bound', 1, 'cfd-solver'],
  ['frozen-exporter', 1, 'batch-score'],
  ['mig-fits', 1, 'small-infer'],
  ['ecc-rising', 1, 'speech-train'],
];

export interface AnalyzerPlan {
  id: string;
  kind: Exclude<AnalyzerKind, 'job-gap'>;
  nodeIndex: number;
  /** The GPUs the scenario takes; all for `fewer-gpus`, none for `driver-drift` (a node attribute). */
  gpuIndices: number[];
  /** Position in the plan list, which keeps job names and Slurm ids distinct. */
  sequence: number;
}

const analyzerSalt = 0x616e6c7a;
const minuteMs = 60_000;
const idleContextMib = 500;
const smallJobMib = 6_144;

export function createAnalyzerRandom(seedKey: number, stream: 1 | 2 | 3): Random {
  return createRandom(hashInts(seedKey, analyzerSalt, stream));
}

/**
 * Places the analyzer scenarios on nodes no earlier scenario uses: `fewer-gpus` on whole nodes, the GPU ones
 * spread over other free nodes (several per node when few are free), `driver-drift` on the first of those.
 * A fleet without room for all of them gets none, so small fleets stay as they were.
 */
export function planAnalyzerScenarios(
  random: Random,
  nodeCount: number,
  gpusPerNode: number,
  taken: ReadonlySet<number>,
): AnalyzerPlan[] {
  const perKind = countScenariosPerKind(nodeCount);
  const free = random.shuffle(Array.from({ length: nodeCount }, (_, i) => i).filter((i) => !taken.has(i)));
  const hosts = free.slice(perKind, perKind + perKind * gpuKinds.length);
  const gpusNeeded = perKind * gpuKinds.reduce((sum, [, count]) => sum + count, 0);
  if (gpusPerNode < 2 || hosts.length < perKind || hosts.length * gpusPerNode < gpusNeeded) return [];
  const plans: Omit<AnalyzerPlan, 'sequence'>[] = [];
  const all = Array.from({ length: gpusPerNode }, (_, i) => i);
  for (let n = 1; n <= perKind; n++) {
    plans.push({ id: `fewer-gpus-${n}`, kind: 'fewer-gpus', nodeIndex: free[n - 1]!, gpuIndices: all });
    plans.push({ id: `driver-drift-${n}`, kind: 'driver-drift', nodeIndex: hosts[n - 1]!, gpuIndices: [] });
  }
  const freeGpus = hosts.map(() => random.shuffle(all));
  let cursor = 0;
  for (const [kind, count] of gpuKinds) {
    for (let n = 1; n <= perKind; n++) {
      for (let tries = 0; (freeGpus[cursor % hosts.length] ?? []).length < count; tries++) {
        if (tries >= hosts.length) return [];
        cursor++;
      }
      const host = cursor % hosts.length;
      const gpuIndices = freeGpus[host]!.splice(-count).sort((a, b) => a - b);
      plans.push({ id: `${kind}-${n}`, kind, nodeIndex: hosts[host]!, gpuIndices });
      cursor++;
    }
  }
  return plans.map((plan, sequence) => ({ ...plan, sequence }));
}

export function findAnalyzerConstraints(
  plans: readonly AnalyzerPlan[],
  nodeIndex: number,
): Partial<NodeConstraints> {
  const kinds = new Set(plans.filter((plan) => plan.nodeIndex === nodeIndex).map((plan) => plan.kind));
  const constraints: Partial<NodeConstraints> = {};
  // MIG profiles are H100 ones; a drifting H100 node has the largest pool to drift from.
  if (kinds.has('mig-fits') || kinds.has('driver-drift')) constraints.requireH100 = true;
  if (kinds.has('driver-drift')) constraints.driverDrift = true;
  return constraints;
}

export interface AnalyzerContext {
  random: Random;
  startMs: number;
}

interface JobHolder {
  allocation: Allocation;
  ref: { jobId: string; pod?: PodRef };
}

/** A job of the node's scheduler with a name of its own, so no background pod shares its owner. */
function createJobHolder(random: Random, node: SimNode, name: string, sequence: number): JobHolder {
  if (node.scheduler === 'slurm') {
    const jobId = String(1_100_000 + sequence * 1_000 + random.int(0, 999));
    return { allocation: { kind: 'slurm', jobId }, ref: { jobId } };
  }
  const job = `${name}-${sequence + 1}`;
  const allocation = createPodAllocation(random, { pod: `${job}-${createPodSuffix(random)}` });
  const pod = allocation.kind === 'pod' ? allocation.pod : undefined;
  return { allocation, ref: { jobId: `${pod!.namespace}/${job}`, pod: pod! } };
}

/** Applies an analyzer plan to its node and returns what a detector should find there. */
export function plantAnalyzerScenario(
  plan: AnalyzerPlan,
  node: SimNode,
  ctx: AnalyzerContext,
): ScenarioTruth {
  if (plan.kind === 'driver-drift') {
    const expect = { driverVersion: node.driverVersion, poolDriverVersion: node.model.driverVersions[0]! };
    return { id: plan.id, kind: plan.kind, node: node.name, expect };
  }
  if (plan.kind === 'fewer-gpus') return plantFewerGpus(plan, node, ctx);
  const gpus = plan.gpuIndices.map((i) => node.gpus[i]!);
  const name = gpuKinds.find(([kind]) => kind === plan.kind)?.[2] ?? 'job';
  const holder = createJobHolder(ctx.random, node, name, plan.sequence);
  for (const gpu of gpus) gpu.allocation = holder.allocation;
  const gpu = gpus[0]!;
  const base = { id: plan.id, node: node.name, gpuUuid: gpu.uuid, ...holder.ref };
  return { ...base, ...plantGpuKind(plan.kind as GpuKind, gpus, node, ctx) };
}

/** One GPU kind's truth without what every kind shares; distributes over the union. */
type GpuKindTruth =
  Extract<ScenarioTruth, { kind: GpuKind }> extends infer T
    ? T extends unknown
      ? Omit<T, 'id' | 'node'>
      : never
    : never;

function plantGpuKind(kind: GpuKind, gpus: SimGpu[], node: SimNode, ctx: AnalyzerContext): GpuKindTruth {
  const { random, startMs } = ctx;
  const { model } = node;
  const gpu = gpus[0]!;
  switch (kind) {
    case 'idle-allocated':
      gpu.workload = createIdleAllocatedWorkload(idleContextMib);
      return { kind, expect: { activityMax: 0.05, memoryUsedMib: idleContextMib } };
    case 'encoder-only':
      gpu.workload = createEncoderWorkload(random, model);
      return { kind, expect: { encoderMin: 0.5, activityMax: 0.05 } };
    case 'gr-engine-zero':
      gpu.workload = createHeavyWorkload(random, model);
      gpu.profilingReadsZero = true;
      return { kind, expect: { gpuUtilMin: 0.9, grEngineActive: 0 } };
    case 'input-bound': {
      const workload = createInputBoundWorkload(random, model, gpus.length);
      for (const g of gpus) g.workload = workload;
      const gpuUuids = gpus.map((g) => g.uuid);
      return { kind, gpuUuids, expect: { bottleneck: 'input_bound', activityMax: 0.3 } };
    }
    case 'launch-overhead':
      gpu.workload = createLaunchOverheadWorkload(random, model);
      return { kind, expect: { bottleneck: 'launch_overhead' } };
    case 'compute-bound':
      gpu.workload = createComputeBoundWorkload(random, model);
      return { kind, expect: { bottleneck: 'compute_bound' } };
    case 'frozen-exporter':
      return plantFrozenExporter(gpu, node, ctx);
    case 'mig-fits':
      gpu.workload = createSmallJobWorkload(random, model, smallJobMib);
      return { kind, expect: { memoryUsedMib: smallJobMib, activityMax: 0.2, fitsProfile: '1g.10gb' } };
    case 'ecc-rising': {
      gpu.workload = createBackgroundWorkload(random, model, 1);
      // Rising before a run that starts 26 minutes in, the remap inside its first 14 minutes.
      const fromMs = startMs + random.int(16, 22) * minuteMs;
      const remapAtMs = fromMs + random.int(12, 16) * minuteMs;
      gpu.eccFault = { fromMs, sbePerMinute: 3, remapAtMs };
      const expect = { sbePerMinute: 3, correctableRemappedRowsIncrease: 1 as const, remapAtMs };
      return { kind, fromMs, expect };
    }
  }
}

/**
 * The job really runs (background load), but the exporter repeats what it read at the run's first sample,
 * when only a CUDA context was there: activity 0, idle power, an energy counter that never moves.
 */
function plantFrozenExporter(gpu: SimGpu, node: SimNode, ctx: AnalyzerContext): GpuKindTruth {
  const fromMs = ctx.startMs;
  const snapshot = { ...gpu, workload: createIdleAllocatedWorkload(idleContextMib) };
  gpu.frozen = { fromMs, sample: computeGpuSample(snapshot, node.model, ctx.startMs, fromMs) };
  gpu.workload = createBackgroundWorkload(ctx.random, node.model, 1);
  return { kind: 'frozen-exporter', fromMs, expect: { frozenFromMs: fromMs } };
}

/** One job on every GPU of the node, half of them busy and half held with only a CUDA context. */
function plantFewerGpus(plan: AnalyzerPlan, node: SimNode, ctx: AnalyzerContext): ScenarioTruth {
  const holder = createJobHolder(ctx.random, node, 'ddp-train', plan.sequence);
  const usedGpus = Math.ceil(node.gpus.length / 2);
  const busy = createSharedBusyWorkload(ctx.random, node.model, usedGpus);
  const idle = createIdleAllocatedWorkload(480);
  for (const gpu of node.gpus) {
    gpu.allocation = holder.allocation;
    gpu.workload = gpu.index < usedGpus ? busy : idle;
  }
  return {
    id: plan.id,
    kind: 'fewer-gpus',
    node: node.name,
    ...holder.ref,
    gpuUuids: node.gpus.map((gpu) => gpu.uuid),
    idleGpuUuids: node.gpus.filter((gpu) => gpu.index >= usedGpus).map((gpu) => gpu.uuid),
    expect: { usedGpus },
  };
}
