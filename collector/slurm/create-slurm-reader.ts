import type { SlurmCollectorConfig } from '../../core/config.js';
import type { JobReader, JobReadResult } from '../jobs/run-jobs-tick.js';
import type { JobRecord } from '../jobs/types.js';
import type { JobcompCursor } from './read-jobcomp.js';
import { createSlurmSource, type SlurmSource, type SlurmSourceDeps } from './slurm-source.js';

/** Each sacct window starts this far before the last one ended, so a job that changed at the edge is seen. */
const WINDOW_OVERLAP_MS = 10 * 60_000;

/**
 * A Slurm cluster as a JobReader: sacct for every job active since the last read (from `lookbackHours` ago on
 * the first), squeue + scontrol for running jobs and their GPU indices, and the jobcomp log when configured.
 * Running records come last so their GPU indices win over sacct's index-less view of the same job.
 */
export function createSlurmReader(
  config: SlurmCollectorConfig,
  deps: SlurmSourceDeps & { source?: SlurmSource },
): JobReader {
  const cluster = config.cluster ?? deps.defaultCluster;
  const source = deps.source ?? createSlurmSource(config, deps);
  let windowStart: Date | null = null;
  let cursor: JobcompCursor | null = null;

  async function read(now: Date): Promise<JobReadResult> {
    const from = windowStart ?? new Date(now.getTime() - config.lookbackHours * 3_600_000);
    const result: JobReadResult = { jobs: [], issues: [], errors: [] };
    // jobs are stored under gpuscope's cluster (the one telemetry nodes carry), Slurm's own name kept as a label
    const take = (records: JobRecord[]) =>
      result.jobs.push(
        ...records.map((r) => ({
          ...r,
          cluster: deps.defaultCluster,
          labels: { ...r.labels, slurm_cluster: r.cluster },
        })),
      );

    const finished = await source.listFinishedJobs({ from, to: now });
    if (finished.ok) {
      take(finished.value.records);
      result.issues.push(...finished.value.issues);
      windowStart = new Date(now.getTime() - WINDOW_OVERLAP_MS);
    } else {
      result.errors.push(finished.error);
    }
    if (config.jobcompPath !== undefined) {
      const jobcomp = await source.readJobcomp(cursor);
      if (jobcomp.ok) {
        take(jobcomp.value.records);
        result.issues.push(...jobcomp.value.issues);
        cursor = jobcomp.value.cursor;
      } else {
        result.errors.push(jobcomp.error);
      }
    }
    const running = await source.listRunningJobs();
    if (running.ok) {
      take(running.value.records);
      result.issues.push(...running.value.issues);
    } else {
      result.errors.push(running.error);
    }
    return result;
  }

  return { source: 'slurm', target: `slurm://${cluster}`, read };
}
