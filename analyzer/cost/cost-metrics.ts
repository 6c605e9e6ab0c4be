import { Counter, Gauge, type Registry } from 'prom-client';

/** Cost metrics; labels stay bounded: cluster, node, GPU model, team, price tier. Never job ids. */
export function createCostMetrics(registry: Registry) {
  return {
    gpuHourlyCost: new Gauge({
      name: 'gpuscope_gpu_hourly_cost_usd',
      help: 'Cost of one GPU-hour on the node in the last allocated hour (node cost over its GPUs), by price source.',
      labelNames: ['cluster', 'node', 'gpu_model', 'price_source'],
      registers: [registry],
    }),
    cost: new Counter({
      name: 'gpuscope_cost_usd_total',
      help: 'Allocated cost of closed hours, by owning team, GPU model and price source (counted once per hour).',
      labelNames: ['cluster', 'team', 'gpu_model', 'price_source'],
      registers: [registry],
    }),
    idleCost: new Counter({
      name: 'gpuscope_idle_cost_usd_total',
      help: 'Cost of idle GPU capacity of closed hours: kind=idle (held by a job, not used) or unallocated (held by none).',
      labelNames: ['cluster', 'team', 'gpu_model', 'kind'],
      registers: [registry],
    }),
    unpricedGpuHours: new Gauge({
      name: 'gpuscope_cost_unpriced_gpu_hours',
      help: 'GPU-hours in the last allocated hour with no price anywhere (not charged, never $0).',
      labelNames: ['cluster', 'node', 'gpu_model'],
      registers: [registry],
    }),
    allocatedThrough: new Gauge({
      name: 'gpuscope_cost_allocated_through_timestamp_seconds',
      help: 'End of the newest hour the cost allocation has computed.',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    hoursAllocated: new Counter({
      name: 'gpuscope_cost_hours_allocated_total',
      help: 'Hours (re)computed by the cost allocation, by reason: telemetry window or a billing import.',
      labelNames: ['cluster', 'reason'],
      registers: [registry],
    }),
  };
}

export type CostMetrics = ReturnType<typeof createCostMetrics>;
