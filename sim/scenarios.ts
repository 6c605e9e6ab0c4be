import { createAllocation, createNotebookAllocation, createPodAllocation } from './allocations.js';
import type { NodeConstraints } from './fleet-layout.js';
import type { ScenarioKind, ScenarioTruth } from './ground-truth.js';
import type { Random } from './hash.js';
import { h100ComputeSlices, h100MigLayout, h100MigSliceMib, throttleReason } from './models.js';
import type { Allocation, PodRef, SimGpu, SimNode, XidEvent } from './types.js';
import {
  createBackgroundWorkload,
  createBusyTrainingWorkload,
  createIdleMemoryHeldWorkload,
  createIdleWorkload,
  createMemoryBoundWorkload,
  createMigWorkload,
  createThermalThrottledWorkload,
} from './workloads.js';

export interface ScenarioPlan {
  id: string;
  kind: GpuScenarioKind;
  nodeIndex: number;
  /** Absent for node-wide scenarios. */
  gpuIndex: number | undefined;
}

const nodeWideKinds = ['busy-training', 'exporter-hang'] as const satisfies readonly ScenarioKind[];
const gpuKinds = [
  'idle-memory-held',
  'memory-bound',
  'thermal-throttled',
  'xid-burst',
  'mig-partitioned',
] as const satisfies readonly ScenarioKind[];

/** The kinds this file places; the fabric ones are in fabric-scenarios.ts. */
type GpuScenarioKind = (typeof nodeWideKinds)[number] | (typeof gpuKinds)[number];

/** One of each kind per started 500 nodes, so larger fleets carry several of each. */
export function countScenariosPerKind(nodeCount: number): number {
  return 1 + Math.floor(nodeCount / 500);
}

/**
 * Places every scenario: node-wide ones on nodes of their own, GPU ones spread over the remaining
 * nodes, one free GPU each, preferring a different node per scenario.
 */
export function planScenarios(random: Random, nodeCount: number, gpusPerNode: number): ScenarioPlan[] {
  const perKind = countScenariosPerKind(nodeCount);
  const wholeNodes = nodeWideKinds.length * perKind;
  const gpuSlotsNeeded = gpuKinds.length * perKind;
  if (nodeCount <= wholeNodes || (nodeCount - wholeNodes) * gpusPerNode < gpuSlotsNeeded) {
    throw new RangeError(
      `a fleet of ${nodeCount} nodes x ${gpusPerNode} GPUs is too small for the planted scenarios ` +
        `(needs ${wholeNodes} whole nodes and ${gpuSlotsNeeded} more GPUs)`,
    );
  }
  const order = random.shuffle(Array.from({ length: nodeCount }, (_, i) => i));
  const plans: ScenarioPlan[] = [];
  for (const kind of nodeWideKinds) {
    for (let n = 1; n <= perKind; n++) {
      plans.push({ id: `${kind}-${n}`, kind, nodeIndex: order[plans.length]!, gpuIndex: undefined });
    }
  }
  const pool = order.slice(plans.length);
  const freeGpus = new Map(
    pool.map((node) => [node, random.shuffle(Array.from({ length: gpusPerNode }, (_, i) => i))]),
  );
  let cursor = 0;
  for (const kind of gpuKinds) {
    for (let n = 1; n <= perKind; n++) {
      while ((freeGpus.get(pool[cursor % pool.length]!) ?? []).length === 0) cursor++;
      const nodeIndex = pool[cursor % pool.length]!;
      plans.push({ id: `${kind}-${n}`, kind, nodeIndex, gpuIndex: freeGpus.get(nodeIndex)!.pop() });
      cursor++;
    }
  }
  return plans;
}

export function findNodeConstraints(plans: readonly ScenarioPlan[], nodeIndex: number): NodeConstraints {
  const kinds = new Set(plans.filter((plan) => plan.nodeIndex === nodeIndex).map((plan) => plan.kind));
  return {
    requireH100: kinds.has('busy-training') || kinds.has('mig-partitioned'),
    requireKubernetes:
      kinds.has('busy-training') || kinds.has('mig-partitioned') || kinds.has('idle-memory-held'),
  };
}

export interface PlantContext {
  random: Random;
  startMs: number;
}

function podOf(allocation: Allocation | undefined): PodRef | undefined {
  return allocation?.kind === 'pod' ? allocation.pod : undefined;
}

function ensureAllocated(gpu: SimGpu, node: SimNode, random: Random): void {
  gpu.allocation ??= createAllocation(random, node.scheduler);
}

/** Applies a plan to the node it names and returns what a detector should find there. */
export function plantScenario(plan: ScenarioPlan, node: SimNode, ctx: PlantContext): ScenarioTruth {
  if (plan.kind === 'busy-training') return plantBusyTraining(plan, node, ctx);
  if (plan.kind === 'exporter-hang') {
    node.exporterHangs = true;
    return { id: plan.id, kind: plan.kind, node: node.name, expect: { responds: false } };
  }
  const gpu = node.gpus[plan.gpuIndex ?? -1];
  if (!gpu) throw new Error(`scenario ${plan.id} names GPU ${plan.gpuIndex} on ${node.name}, which has none`);
  const base = { id: plan.id, node: node.name, gpuUuid: gpu.uuid };
  switch (plan.kind) {
    case 'idle-memory-held':
      return { ...base, kind: plan.kind, expect: plantIdleMemoryHeld(gpu, node, ctx) };
    case 'memory-bound':
      ensureAllocated(gpu, node, ctx.random);
      gpu.workload = createMemoryBoundWorkload(ctx.random, node.model);
      return {
        ...base,
        kind: plan.kind,
        expect: { dramActiveMin: 0.75, tensorActiveMax: 0.1, smActiveMin: 0.35, smActiveMax: 0.65 },
      };
    case 'thermal-throttled':
      return { ...base, kind: plan.kind, expect: plantThermal(gpu, node, ctx) };
    case 'xid-burst':
      return plantXidBurst(base, gpu, node, ctx);
    case 'mig-partitioned':
      return {
        ...base,
        kind: plan.kind,
        expect: { instances: plantMig(gpu, node, ctx), gpuUtilReported: false },
      };
  }
}

function plantBusyTraining(plan: ScenarioPlan, node: SimNode, ctx: PlantContext): ScenarioTruth {
  const workload = createBusyTrainingWorkload(ctx.random, node.model);
  const allocation = createPodAllocation(ctx.random, {
    namespace: 'training',
    pod: `llm-pretrain-worker-${ctx.random.int(0, 31)}`,
    container: 'pytorch',
  });
  for (const gpu of node.gpus) {
    gpu.workload = workload;
    gpu.allocation = allocation;
  }
  const expect = {
    gpuUuids: node.gpus.map((gpu) => gpu.uuid),
    activityMin: 0.85,
    tensorActiveMin: 0.6,
    powerWMin: node.model.powerLimitW * 0.8,
    nvlinkTxBytesPerSecondMin: node.model.nvlinkBytesPerSecond * 0.8,
    pod: podOf(allocation)!,
  };
  return { id: plan.id, kind: 'busy-training', node: node.name, expect };
}

function plantIdleMemoryHeld(gpu: SimGpu, node: SimNode, ctx: PlantContext) {
  const memoryUsedMib = 61_440;
  gpu.allocation = createNotebookAllocation(ctx.random);
  gpu.workload = createIdleMemoryHeldWorkload(memoryUsedMib);
  return {
    activityMax: 0.05,
    memoryUsedMib,
    powerWMax: node.model.powerIdleW * 1.25,
    throttleReasonsMask: throttleReason.gpuIdle,
    pod: podOf(gpu.allocation)!,
  };
}

function plantThermal(gpu: SimGpu, node: SimNode, ctx: PlantContext) {
  ensureAllocated(gpu, node, ctx.random);
  const peer = node.gpus.find((g) => g !== gpu && g.allocation === gpu.allocation);
  gpu.workload = createThermalThrottledWorkload(ctx.random, node.model);
  // a hot GPU of a multi-GPU job still exchanges gradients with its peers over NVLink
  if (peer) gpu.workload.nvlinkBytesPerSecond = peer.workload.nvlinkBytesPerSecond;
  const smClockMhz = Math.round((node.model.smClockMaxMhz * 0.65) / 15) * 15;
  const throttleReasonsMask = throttleReason.swThermal | throttleReason.hwThermal;
  gpu.thermal = { gpuTempC: 92, memoryTempC: 96, smClockMhz, throttleReasonsMask };
  return { gpuTempCMin: 88, smClockMhzMax: smClockMhz + 15, throttleReasonsMask };
}

/** XID 79 (fallen off the bus), then 48 (double-bit ECC), then 94 (contained ECC), two minutes each. */
function plantXidBurst(
  base: { id: string; node: string; gpuUuid: string },
  gpu: SimGpu,
  node: SimNode,
  ctx: PlantContext,
): ScenarioTruth {
  if (!gpu.allocation) {
    gpu.allocation = createAllocation(ctx.random, node.scheduler);
    gpu.workload = createBackgroundWorkload(ctx.random, node.model, 1);
  }
  const stepMs = 2 * 60_000;
  const fromMs = ctx.startMs + ctx.random.int(2, 5) * 60_000;
  const events: XidEvent[] = [79, 48, 94].map((code, i) => ({
    code,
    fromMs: fromMs + i * stepMs,
    toMs: fromMs + (i + 1) * stepMs,
  }));
  gpu.xidEvents = events;
  const toMs = fromMs + events.length * stepMs;
  return {
    ...base,
    kind: 'xid-burst',
    fromMs,
    toMs,
    expect: { xidCodes: events.map((e) => e.code), events },
  };
}

/** 3g.40gb + 2g.20gb + 1g.10gb + 1g.10gb; the last instance is free (no pod, 14 MiB used). */
function plantMig(gpu: SimGpu, node: SimNode, ctx: PlantContext) {
  const levels = [0.55, 0.3, 0.12, 0];
  gpu.allocation = undefined;
  gpu.workload = createIdleWorkload();
  gpu.instances = h100MigLayout.map((layout, i) => {
    const memoryMib = layout.memorySlices * h100MigSliceMib;
    const level = levels[i] ?? 0;
    return {
      profile: layout.profile,
      gpuInstanceId: layout.gpuInstanceId,
      memoryMib,
      powerWeight: layout.computeSlices / h100ComputeSlices,
      workload: createMigWorkload(ctx.random, node.model, level, memoryMib),
      allocation: level > 0 ? createPodAllocation(ctx.random, { namespace: 'inference' }) : undefined,
    };
  });
  return gpu.instances.map((instance) => {
    const pod = podOf(instance.allocation);
    const truth = {
      gpuInstanceId: instance.gpuInstanceId,
      profile: instance.profile,
      memoryMib: instance.memoryMib,
    };
    return pod ? { ...truth, pod } : truth;
  });
}
