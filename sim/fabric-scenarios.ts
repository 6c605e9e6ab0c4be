import { createAllocation, createPodAllocation } from './allocations.js';
import { formatIbDevice, ibFlapIncrements, ibLinkBytesPerSecond } from './fabric/ib-ports.js';
import type { NodeConstraints } from './fleet-layout.js';
import type { FabricScenarioTruth, ScenarioTruth } from './ground-truth.js';
import { createRandom, hashInts, type Random } from './hash.js';
import { countScenariosPerKind } from './scenarios.js';
import type { SimNode, Workload } from './types.js';
import { createWave } from './waves.js';
import { createBackgroundWorkload, createBusyTrainingWorkload } from './workloads.js';

type FabricKind = FabricScenarioTruth['kind'];

/** Each kind and how many whole nodes one instance takes. */
const fabricKinds: readonly (readonly [FabricKind, number])[] = [
  ['multi-node-straggler', 2],
  ['ib-congested-port', 2],
  ['ib-counter-wrap', 1],
  ['ib-counter-reset', 1],
  ['ib-link-flap', 1],
  ['nvlink-errors', 1],
  ['nvlink-zero', 1],
];

export interface FabricPlan {
  id: string;
  kind: FabricKind;
  nodeIndices: number[];
}

const fabricSalt = 0x66616272;
const minuteMs = 60_000;

export function createFabricRandom(seedKey: number): Random {
  return createRandom(hashInts(seedKey, fabricSalt));
}

/**
 * Places the fabric scenarios on nodes no earlier scenario uses, from a random stream of their own so
 * that every earlier scenario keeps its node, GPU and parameters. A fleet without enough free nodes
 * for all of them gets none, which keeps small fleets exactly as they were.
 */
export function planFabricScenarios(
  random: Random,
  nodeCount: number,
  taken: ReadonlySet<number>,
): FabricPlan[] {
  const perKind = countScenariosPerKind(nodeCount);
  const free = random.shuffle(Array.from({ length: nodeCount }, (_, i) => i).filter((i) => !taken.has(i)));
  const needed = perKind * fabricKinds.reduce((sum, [, nodes]) => sum + nodes, 0);
  if (free.length < needed) return [];
  const plans: FabricPlan[] = [];
  let cursor = 0;
  for (const [kind, nodes] of fabricKinds) {
    for (let n = 1; n <= perKind; n++) {
      plans.push({ id: `${kind}-${n}`, kind, nodeIndices: free.slice(cursor, cursor + nodes) });
      cursor += nodes;
    }
  }
  return plans;
}

export function findFabricConstraints(
  plans: readonly FabricPlan[],
  nodeIndex: number,
): Partial<NodeConstraints> {
  const plan = plans.find((p) => p.nodeIndices.includes(nodeIndex));
  if (plan?.kind === 'multi-node-straggler') return { requireH100: true, requireSlurm: true };
  if (plan?.kind === 'ib-congested-port') return { requireH100: true, requireKubernetes: true };
  return {};
}

export interface FabricContext {
  random: Random;
  startMs: number;
}

/** Data-parallel training across nodes: the busy-training profile plus half the IB link each way. */
function createMultiNodeWorkload(random: Random, node: SimNode): Workload {
  return { ...createBusyTrainingWorkload(random, node.model), ibBytesPerSecond: ibLinkBytesPerSecond * 0.55 };
}

function plantStraggler(plan: FabricPlan, nodes: SimNode[], ctx: FabricContext): ScenarioTruth {
  const { random } = ctx;
  const workload = createMultiNodeWorkload(random, nodes[0]!);
  const allocation = { kind: 'slurm' as const, jobId: String(random.int(1_000_000, 1_099_999)) };
  for (const node of nodes) {
    for (const gpu of node.gpus) {
      gpu.workload = workload;
      gpu.allocation = allocation;
    }
  }
  const straggler = random.pick(nodes[0]!.gpus);
  // A slow GPU (bad cooling, a noisy neighbour on its PCIe switch) works about half as much as its peers.
  straggler.workload = { ...workload, activity: createWave(random, 0.45, 0.03, [600, 3600]) };
  return {
    id: plan.id,
    kind: 'multi-node-straggler',
    node: nodes[0]!.name,
    nodes: nodes.map((node) => node.name),
    gpuUuid: straggler.uuid,
    jobId: allocation.jobId,
    expect: {
      scheduler: 'slurm',
      gpuUuids: nodes.flatMap((node) => node.gpus.map((gpu) => gpu.uuid)),
      stragglerGpuUuid: straggler.uuid,
      stragglerActivityMax: 0.6,
      peerActivityMin: 0.85,
    },
  };
}

function plantCongestedJob(plan: FabricPlan, nodes: SimNode[], ctx: FabricContext): ScenarioTruth {
  const { random } = ctx;
  const name = `${random.pick(['bert-large', 'gpt-neox', 'vit-huge', 'llama-ft'])}-${random.int(100, 999)}`;
  const namespace = 'ml-research';
  const workload = createMultiNodeWorkload(random, nodes[0]!);
  const pods = nodes.map((node, i) => {
    const allocation = createPodAllocation(random, {
      namespace,
      pod: i === 0 ? `${name}-master-0` : `${name}-worker-${i - 1}`,
      container: 'pytorch',
    });
    for (const gpu of node.gpus) {
      gpu.workload = workload;
      gpu.allocation = allocation;
    }
    return allocation.kind === 'pod' ? allocation.pod : undefined;
  });
  const gpu = random.pick(nodes[0]!.gpus);
  const xmitWaitPerSecond = 2.4e7;
  const fault = {
    kind: 'congested' as const,
    gpuIndex: gpu.index,
    txBytesPerSecond: ibLinkBytesPerSecond * 0.93,
    xmitWaitPerSecond,
  };
  nodes[0]!.ibPortFaults = [fault];
  return {
    id: plan.id,
    kind: 'ib-congested-port',
    node: nodes[0]!.name,
    nodes: nodes.map((node) => node.name),
    gpuUuid: gpu.uuid,
    device: formatIbDevice(gpu.index),
    port: 1,
    jobId: `${namespace}/${name}`,
    expect: {
      scheduler: 'kubernetes',
      owner: { kind: 'PyTorchJob', namespace, name },
      pods: pods.filter((pod) => pod !== undefined),
      txUtilizationMin: 0.85,
      xmitWaitPerSecondMin: xmitWaitPerSecond * 0.9,
      peerXmitWaitPerSecondMax: 1e5,
    },
  };
}

function plantPortFault(plan: FabricPlan, node: SimNode, ctx: FabricContext): ScenarioTruth {
  const { random, startMs } = ctx;
  const gpu = random.pick(node.gpus);
  const base = {
    id: plan.id,
    node: node.name,
    gpuUuid: gpu.uuid,
    device: formatIbDevice(gpu.index),
    port: 1,
  };
  if (plan.kind === 'ib-counter-wrap') {
    const bytesPerSecond = 1.5e6;
    const firstWrapMs = startMs + random.int(10, 50) * minuteMs + random.int(0, 59) * 1000;
    node.ibPortFaults = [{ kind: 'wrap', gpuIndex: gpu.index, firstWrapMs, bytesPerSecond }];
    return {
      ...base,
      kind: plan.kind,
      fromMs: startMs,
      toMs: startMs + 60 * minuteMs,
      expect: {
        counterBits: 32,
        counters: ['port_xmit_data', 'port_rcv_data'],
        firstWrapMs,
        wrapPeriodSeconds: (4 * 2 ** 32) / bytesPerSecond,
        bytesPerSecond,
      },
    };
  }
  if (plan.kind === 'ib-counter-reset') {
    const resetAtMs = startMs + random.int(20, 90) * minuteMs + random.int(0, 59) * 1000;
    node.ibPortFaults = [{ kind: 'reset', gpuIndex: gpu.index, resetAtMs }];
    return { ...base, kind: plan.kind, fromMs: resetAtMs, toMs: resetAtMs, expect: { resetAtMs } };
  }
  const firstMs = startMs + random.int(5, 30) * minuteMs;
  const downIntervals = [0, 1, 2, 3, 4].map((i) => ({
    fromMs: firstMs + i * 2 * minuteMs,
    toMs: firstMs + i * 2 * minuteMs + 40_000,
  }));
  node.ibPortFaults = [{ kind: 'flap', gpuIndex: gpu.index, downIntervals }];
  const flaps = downIntervals.length;
  return {
    ...base,
    kind: 'ib-link-flap',
    fromMs: firstMs,
    toMs: downIntervals[flaps - 1]!.toMs,
    expect: {
      downIntervals,
      linkDownedIncrease: flaps,
      symbolErrorIncrease: flaps * ibFlapIncrements.symbolError,
      linkErrorRecoveryIncrease: flaps * ibFlapIncrements.linkErrorRecovery,
    },
  };
}

/** One job holding every GPU of the node, so NVLink carries traffic between them. */
function fillNodeWithJob(node: SimNode, random: Random): Workload {
  const workload = createBackgroundWorkload(random, node.model, node.gpus.length);
  const allocation = createAllocation(random, node.scheduler);
  for (const gpu of node.gpus) {
    gpu.workload = workload;
    gpu.allocation = allocation;
  }
  return workload;
}

function plantNvlinkScenario(plan: FabricPlan, node: SimNode, ctx: FabricContext): ScenarioTruth {
  const { random, startMs } = ctx;
  const workload = fillNodeWithJob(node, random);
  const gpu = random.pick(node.gpus);
  const base = { id: plan.id, node: node.name, gpuUuid: gpu.uuid };
  if (plan.kind === 'nvlink-zero') {
    // The known DCGM behaviour: a busy GPU in a multi-GPU job whose NVLink counters read exactly 0.
    gpu.workload = { ...workload, nvlinkBytesPerSecond: 0 };
    return {
      ...base,
      kind: 'nvlink-zero',
      expect: {
        jobGpuUuids: node.gpus.map((g) => g.uuid),
        activityMin: 0.2,
        nvlinkBytesPerSecond: 0,
        peerNvlinkBytesPerSecondMin: workload.nvlinkBytesPerSecond * 0.25,
      },
    };
  }
  const fault = {
    fromMs: startMs - 30 * minuteMs,
    crcFlitPerSecond: 0.8,
    crcDataPerSecond: 0.05,
    replayPerSecond: 0.3,
    recoveryPerSecond: 0.002,
  };
  gpu.nvlinkFault = fault;
  return {
    ...base,
    kind: 'nvlink-errors',
    fromMs: fault.fromMs,
    expect: {
      requiresOption: 'nvlinkErrorCounters',
      crcFlitErrorsPerSecond: fault.crcFlitPerSecond,
      crcDataErrorsPerSecond: fault.crcDataPerSecond,
      replayErrorsPerSecond: fault.replayPerSecond,
      recoveryErrorsPerSecond: fault.recoveryPerSecond,
    },
  };
}

/** Applies a fabric plan to its nodes and returns what a detector should find there. */
export function plantFabricScenario(
  plan: FabricPlan,
  fleetNodes: readonly SimNode[],
  ctx: FabricContext,
): ScenarioTruth {
  const nodes = plan.nodeIndices.map((i) => fleetNodes[i]!);
  switch (plan.kind) {
    case 'multi-node-straggler':
      return plantStraggler(plan, nodes, ctx);
    case 'ib-congested-port':
      return plantCongestedJob(plan, nodes, ctx);
    case 'ib-counter-wrap':
    case 'ib-counter-reset':
    case 'ib-link-flap':
      return plantPortFault(plan, nodes[0]!, ctx);
    case 'nvlink-errors':
    case 'nvlink-zero':
      return plantNvlinkScenario(plan, nodes[0]!, ctx);
  }
}
