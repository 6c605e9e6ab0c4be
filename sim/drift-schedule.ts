import type { TimeWindow } from './ground-truth.js';
import type { GpuPhase, SimGpu } from './types.js';
import { createIdleWorkload } from './workloads.js';

/** UTC days the drift fleet runs: the trend days and, last, the day a spend detector judges. */
export const driftDays = 6;
export const dayMs = 86_400_000;
export const minuteMs = 60_000;
/** Every day's jobs start at 09:00 UTC. */
export const morningMs = 9 * 3_600_000;

/** The first UTC midnight at or after `startMs`: day 0 of the drift fleet. */
export function findFirstDriftDay(startMs: number): number {
  return Math.ceil(startMs / dayMs) * dayMs;
}

/** Hands each GPU to the job from `fromMs` and back to nobody (flat idle) at `toMs`. */
export function scheduleRun(
  gpus: readonly SimGpu[],
  phase: Omit<GpuPhase, 'fromMs'>,
  window: TimeWindow,
): void {
  for (const gpu of gpus) {
    gpu.schedule = [
      ...(gpu.schedule ?? []),
      { fromMs: window.fromMs, ...phase },
      { fromMs: window.toMs, allocation: undefined, workload: createIdleWorkload() },
    ];
  }
}
