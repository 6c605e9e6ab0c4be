import { renderSacctJson } from '../formats/sacct-json.js';
import { renderScontrolShowJobs } from '../formats/scontrol-show-job.js';
import { renderSqueueJson } from '../formats/squeue-json.js';
import { type SimSlurmJob, viewJobAt } from './slurm-jobs.js';

export interface SlurmRenderers {
  /** `sacct --json --allusers -S from -E to`: jobs running at some point in the window, as of `toMs`. */
  renderSacctJson(fromMs: number, toMs: number): string;
  /** `squeue --json` at `tMs`: the running jobs. */
  renderSqueueJson(tMs: number): string;
  /** `scontrol show job -d` at `tMs`, or `scontrol show job -d <id>` when `jobId` is given. */
  renderScontrolShowJobs(tMs: number, jobId?: number): string;
}

function listRunning(jobs: readonly SimSlurmJob[], tMs: number): SimSlurmJob[] {
  return jobs.map((job) => viewJobAt(job, tMs)).filter((job) => job?.state === 'RUNNING') as SimSlurmJob[];
}

export function createSlurmRenderers(jobs: readonly SimSlurmJob[]): SlurmRenderers {
  return {
    renderSacctJson: (fromMs, toMs) => {
      const inWindow = jobs
        .map((job) => viewJobAt(job, toMs))
        .filter(
          (job): job is SimSlurmJob => job !== undefined && (job.endMs === undefined || job.endMs >= fromMs),
        );
      return renderSacctJson(inWindow, toMs);
    },
    renderSqueueJson: (tMs) => renderSqueueJson(listRunning(jobs, tMs)),
    renderScontrolShowJobs: (tMs, jobId) => {
      const running = listRunning(jobs, tMs).filter((job) => jobId === undefined || job.jobId === jobId);
      if (jobId !== undefined && running.length === 0)
        return 'slurm_load_jobs error: Invalid job id specified\n';
      return renderScontrolShowJobs(running, tMs);
    },
  };
}
