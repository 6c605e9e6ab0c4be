import type { Fleet } from './fleet.js';
import type { Allocation, Workload } from './types.js';

export type ExpectedIdleKind = 'idle_gpu_allocated' | 'idle_gpu_memory_held' | 'idle_gpu_unallocated';

export interface ExpectedIdleGpu {
  /** The GPU's UUID, or `<uuid>/<gpuInstanceId>` for a MIG instance. */
  subject: string;
  kind: ExpectedIdleKind;
}

/** Memory in use from which a held idle GPU counts as memory held (1 GiB). */
const memoryHeldMib = 1024;

function isFlatIdle(workload: Workload): boolean {
  const codecs = (workload.encoderUtilRatio ?? 0) + (workload.decoderUtilRatio ?? 0);
  return workload.activity.level === 0 && workload.activity.swing === 0 && codecs === 0;
}

function classifyIdle(allocation: Allocation | undefined, workload: Workload): ExpectedIdleKind {
  if (!allocation) return 'idle_gpu_unallocated';
  return workload.fbUsedMib >= memoryHeldMib ? 'idle_gpu_memory_held' : 'idle_gpu_allocated';
}

/**
 * Every GPU and MIG instance whose load is flat idle (activity level 0, no swing), as an idle detector should
 * classify it. Left out, since their data supports no verdict: the nodes whose exporter hangs and the GPUs
 * whose exporter is frozen; and GPUs changing hands (`job-gap`), whose short idle stretch is no idle verdict.
 */
export function expectedIdleGpus(fleet: Fleet): ExpectedIdleGpu[] {
  const out: ExpectedIdleGpu[] = [];
  for (const node of fleet.nodes) {
    if (node.exporterHangs) continue;
    for (const gpu of node.gpus) {
      // A GPU between two jobs is not idle capacity, whatever one of its spans shows.
      if (gpu.frozen || gpu.schedule) continue;
      if (gpu.instances.length === 0) {
        if (isFlatIdle(gpu.workload))
          out.push({ subject: gpu.uuid, kind: classifyIdle(gpu.allocation, gpu.workload) });
        continue;
      }
      for (const instance of gpu.instances) {
        if (!isFlatIdle(instance.workload)) continue;
        const subject = `${gpu.uuid}/${instance.gpuInstanceId}`;
        out.push({ subject, kind: classifyIdle(instance.allocation, instance.workload) });
      }
    }
  }
  return out;
}
