import { Gauge, type Registry } from 'prom-client';

/** Analyzer gauges; labels bounded to cluster, kind and severity. */
export function createAnalyzerMetrics(registry: Registry) {
  return {
    idleGpus: new Gauge({
      name: 'gpuscope_idle_gpus',
      help: 'GPUs (and MIG instances) idle as of the last analyzer pass, by variant (allocated, memory_held, unallocated).',
      labelNames: ['cluster', 'kind'],
      registers: [registry],
    }),
    findings: new Gauge({
      name: 'gpuscope_findings',
      help: 'Findings not resolved, by kind and severity.',
      labelNames: ['cluster', 'kind', 'severity'],
      registers: [registry],
    }),
    suspectGpus: new Gauge({
      name: 'gpuscope_analyzer_suspect_gpus',
      help: 'GPUs the last pass gave no idle verdict because their data is missing or frozen.',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    teamEfficiency: new Gauge({
      name: 'gpuscope_team_gpu_efficiency_ratio',
      help: 'Mean GPU activity (0-1) of the GPU-minutes held by each team over the analyzer window.',
      labelNames: ['cluster', 'team'],
      registers: [registry],
    }),
    teamHeldGpuHours: new Gauge({
      name: 'gpuscope_team_held_gpu_hours',
      help: 'GPU-hours held by each team over the analyzer window, the weight of its efficiency.',
      labelNames: ['cluster', 'team'],
      registers: [registry],
    }),
    teamWaste: new Gauge({
      name: 'gpuscope_team_waste_usd_per_month',
      help: 'Monthly cost at the current rate of the open findings of each team, by finding family (idle, bottleneck, right_size).',
      labelNames: ['cluster', 'team', 'family'],
      registers: [registry],
    }),
    lastPass: new Gauge({
      name: 'gpuscope_analyzer_last_pass_timestamp_seconds',
      help: 'The as-of time of the last completed analyzer pass.',
      labelNames: ['cluster'],
      registers: [registry],
    }),
  };
}

export type AnalyzerMetrics = ReturnType<typeof createAnalyzerMetrics>;
