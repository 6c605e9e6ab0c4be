import { createAllocation } from './allocations.js';
import { createGpuUuid, createRandom, hashInts, type Random } from './hash.js';
import { a100Sxm, formatPciBusId, type GpuModel, h100Sxm } from './models.js';
import type { Scheduler, SimGpu, SimNode } from './types.js';
import { createBackgroundWorkload, createIdleWorkload, createPowerRipples } from './workloads.js';

export interface NodeConstraints {
  requireH100: boolean;
  requireKubernetes: boolean;
  requireSlurm?: boolean;
  /** The planted `driver-drift` node: the model's second driver version instead of the pool's first. */
  driverDrift?: boolean;
}

const nodeSalt = 0x6e6f6465;
const noiseSalt = 0x6e6f6973;

export function formatNodeName(nodeIndex: number, nodeCount: number): string {
  return `gpu-node-${String(nodeIndex + 1).padStart(Math.max(4, String(nodeCount).length), '0')}`;
}

function createGpu(
  seedKey: number,
  nodeIndex: number,
  gpuIndex: number,
  model: GpuModel,
  random: Random,
): SimGpu {
  return {
    index: gpuIndex,
    uuid: createGpuUuid(seedKey, nodeIndex, gpuIndex),
    pciBusId: formatPciBusId(model, gpuIndex),
    noiseKey: hashInts(seedKey, nodeIndex, gpuIndex, noiseSalt),
    uptimeSeconds: 0,
    workload: createIdleWorkload(),
    allocation: undefined,
    instances: [],
    ripples: createPowerRipples(random, model),
    thermal: undefined,
    xidEvents: [],
  };
}

/** Background jobs: about a third of GPUs unallocated, the rest held by 1-, 2-, 4- or 8-GPU jobs. */
function allocateBackgroundJobs(random: Random, gpus: SimGpu[], model: GpuModel, scheduler: Scheduler): void {
  let next = 0;
  while (next < gpus.length) {
    if (random.chance(0.35)) {
      next += 1;
      continue;
    }
    let size = random.pick([1, 1, 2, 4, 8]);
    while (size > gpus.length - next) size = Math.max(1, size / 2);
    const allocation = createAllocation(random, scheduler);
    const workload = createBackgroundWorkload(random, model, size);
    for (const gpu of gpus.slice(next, next + size)) {
      gpu.allocation = allocation;
      gpu.workload = workload;
    }
    next += size;
  }
}

/** One node with background load; its attributes depend only on (seed, node index). */
export function buildNode(
  seedKey: number,
  nodeIndex: number,
  nodeCount: number,
  gpusPerNode: number,
  constraints: NodeConstraints,
): SimNode {
  const random = createRandom(hashInts(seedKey, nodeIndex, nodeSalt));
  const isA100 = random.chance(0.15) && !constraints.requireH100;
  const model = isA100 ? a100Sxm : h100Sxm;
  // Draws happen whatever the constraints (this one is no longer used), so forcing one node leaves every later
  // draw unchanged.
  random.chance(0.7);
  const driverVersion = model.driverVersions[constraints.driverDrift ? 1 : 0]!;
  const hostnameLabelKey = random.chance(0.15) ? 'hostname' : 'Hostname';
  const slurmDrawn = random.chance(0.25);
  const scheduler: Scheduler =
    constraints.requireSlurm || (slurmDrawn && !constraints.requireKubernetes) ? 'slurm' : 'kubernetes';
  const uptimeSeconds = Math.round(random.between(1, 40) * 86_400);
  const gpus = Array.from({ length: gpusPerNode }, (_, gpuIndex) => {
    const gpu = createGpu(seedKey, nodeIndex, gpuIndex, model, random);
    gpu.uptimeSeconds = uptimeSeconds;
    return gpu;
  });
  allocateBackgroundJobs(random, gpus, model, scheduler);
  return {
    name: formatNodeName(nodeIndex, nodeCount),
    index: nodeIndex,
    model,
    driverVersion,
    hostnameLabelKey,
    scheduler,
    exporterHangs: false,
    gpus,
  };
}
