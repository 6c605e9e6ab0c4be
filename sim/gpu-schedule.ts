import type { Allocation, SimGpu, Workload } from './types.js';

/** One stretch of a GPU's holder and load, `fromMs` inclusive to `toMs` exclusive (±Infinity at the ends). */
export interface GpuSpan {
  fromMs: number;
  toMs: number;
  allocation: Allocation | undefined;
  workload: Workload;
}

/** Every stretch of the GPU in time order: one unbounded span for a GPU without a schedule. */
export function listGpuSpans(gpu: SimGpu): GpuSpan[] {
  const phases = [
    { fromMs: Number.NEGATIVE_INFINITY, allocation: gpu.allocation, workload: gpu.workload },
    ...(gpu.schedule ?? []),
  ];
  return phases.map((phase, i) => ({ ...phase, toMs: phases[i + 1]?.fromMs ?? Number.POSITIVE_INFINITY }));
}

/** The GPU as it is at `tMs`: itself when unscheduled, else a copy with that time's holder and load. */
export function resolveGpuAt(gpu: SimGpu, tMs: number): SimGpu {
  const schedule = gpu.schedule;
  if (!schedule || schedule.length === 0 || tMs < schedule[0]!.fromMs) return gpu;
  const phase = schedule.findLast((p) => p.fromMs <= tMs)!;
  return { ...gpu, allocation: phase.allocation, workload: phase.workload };
}
