import type { AnalyzerPlan } from './analyzer-scenarios.js';
import type { ScenarioTruth } from './ground-truth.js';
import type { Random } from './hash.js';
import { countScenariosPerKind } from './scenarios.js';
import type { SimNode } from './types.js';
import { createBackgroundWorkload, createIdleWorkload } from './workloads.js';

export interface JobGapPlan {
  id: string;
  nodeIndex: number;
  gpuIndex: number;
  /** Position in the plan list, which keeps the Slurm ids distinct. */
  sequence: number;
}

const minuteMs = 60_000;
/** Inside the last 10 minutes of a run scraped from 26 to 40 minutes after the start. */
const gapStartMinute = 33;
const gapMinutes = 2;
const firstJobId = 1_500_000;

/**
 * Places `job-gap` after every other scenario without moving one: on Slurm nodes no GPU or fabric scenario
 * and no `fewer-gpus` uses (the GPU analyzer scenarios share nodes already), on an unallocated GPU no analyzer
 * scenario takes, so no background job changes; one node each. All or none, as for the other kinds.
 */
export function planJobGaps(
  random: Random,
  nodes: readonly SimNode[],
  taken: ReadonlySet<number>,
  analyzerPlans: readonly AnalyzerPlan[],
): JobGapPlan[] {
  const perKind = countScenariosPerKind(nodes.length);
  const candidates = nodes.filter(
    (node) =>
      node.scheduler === 'slurm' &&
      !node.exporterHangs &&
      !taken.has(node.index) &&
      !analyzerPlans.some((plan) => plan.nodeIndex === node.index && plan.kind === 'fewer-gpus'),
  );
  const plans: JobGapPlan[] = [];
  for (const node of random.shuffle(candidates)) {
    if (plans.length === perKind) break;
    const used = new Set(
      analyzerPlans.filter((plan) => plan.nodeIndex === node.index).flatMap((plan) => plan.gpuIndices),
    );
    const pool = node.gpus.filter(
      (gpu) => !used.has(gpu.index) && !gpu.allocation && gpu.instances.length === 0,
    );
    if (pool.length === 0) continue;
    const gpuIndex = random.pick(pool).index;
    plans.push({
      id: `job-gap-${plans.length + 1}`,
      nodeIndex: node.index,
      gpuIndex,
      sequence: plans.length,
    });
  }
  return plans.length === perKind ? plans : [];
}

/**
 * Job A runs a background load on the GPU until `gapFromMs` (33 minutes in, on a whole second), the GPU is
 * then unallocated and flat idle for 2 minutes, and job B runs another background load from `gapToMs` on.
 */
export function plantJobGap(
  plan: JobGapPlan,
  node: SimNode,
  ctx: { random: Random; startMs: number },
): ScenarioTruth {
  const { random, startMs } = ctx;
  const gpu = node.gpus[plan.gpuIndex]!;
  const gapFromMs = Math.floor((startMs + gapStartMinute * minuteMs) / 1000) * 1000;
  const gapToMs = gapFromMs + gapMinutes * minuteMs;
  const jobBefore = String(firstJobId + plan.sequence * 1_000 + random.int(0, 499));
  const jobAfter = String(Number(jobBefore) + random.int(1, 499));
  gpu.allocation = { kind: 'slurm', jobId: jobBefore };
  gpu.workload = createBackgroundWorkload(random, node.model, 1);
  gpu.schedule = [
    { fromMs: gapFromMs, allocation: undefined, workload: createIdleWorkload() },
    {
      fromMs: gapToMs,
      allocation: { kind: 'slurm', jobId: jobAfter },
      workload: createBackgroundWorkload(random, node.model, 1),
    },
  ];
  return {
    id: plan.id,
    kind: 'job-gap',
    node: node.name,
    gpuUuid: gpu.uuid,
    fromMs: gapFromMs,
    toMs: gapToMs,
    expect: { gapFromMs, gapToMs, jobBefore, jobAfter },
  };
}
