import { Counter, Gauge, type Registry } from 'prom-client';

export type JobMetrics = ReturnType<typeof createJobMetrics>;

/** Job and attribution metrics. Labels stay bounded: source, team, attribution method; never a job id. */
export function createJobMetrics(registry: Registry) {
  const registers = [registry];
  return {
    jobsRead: new Counter({
      name: 'gpuscope_jobs_read_total',
      help: 'Job records read from schedulers and stored (a job seen again counts again).',
      labelNames: ['source'],
      registers,
    }),
    recordIssues: new Counter({
      name: 'gpuscope_jobs_record_issues_total',
      help: 'Scheduler records or lines skipped or flagged because they were malformed.',
      labelNames: ['source'],
      registers,
    }),
    readFailures: new Counter({
      name: 'gpuscope_jobs_read_failures_total',
      help: 'Scheduler reads that failed (command missing, timed out, non-zero exit, API error).',
      labelNames: ['source'],
      registers,
    }),
    runningJobs: new Gauge({
      name: 'gpuscope_jobs_running',
      help: 'Jobs running now, by source and team.',
      labelNames: ['source', 'team'],
      registers,
    }),
    gpusAllocated: new Gauge({
      name: 'gpuscope_jobs_gpus_allocated',
      help: 'GPUs (or MIG slices) held by running jobs, by source and team.',
      labelNames: ['source', 'team'],
      registers,
    }),
    teamActivity: new Gauge({
      name: 'gpuscope_team_gpu_activity_ratio',
      help: 'Sample-weighted mean graphics-engine activity (0-1) of GPU-minutes attributed to each team over the last 15 minutes; team "unattributed" for minutes with no job.',
      labelNames: ['team'],
      registers,
    }),
    attributedMinutes: new Counter({
      name: 'gpuscope_attribution_gpu_minutes_total',
      help: 'GPU-minutes linked to jobs, by method (exporter_label, scheduler) or marked unattributed.',
      labelNames: ['method'],
      registers,
    }),
  };
}
