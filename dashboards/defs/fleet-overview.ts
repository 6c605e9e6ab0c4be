import type { DashboardSpec } from '../lib/spec.js';
import { busyActivity, clusterOnly, dcgm } from './selectors.js';

const gr = `DCGM_FI_PROF_GR_ENGINE_ACTIVE{${dcgm}}`;

export const fleetOverview: DashboardSpec = {
  uid: 'gpuscope-fleet',
  file: 'fleet-overview',
  title: 'GPU fleet overview',
  description:
    'Every GPU at a glance: how many are busy, idle or not trusted, how efficiently the fleet is used, its power and heat.',
  tags: ['fleet'],
  variables: ['cluster', 'node', 'gpu_model'],
  from: 'now-6h',
  rows: [
    {
      title: 'GPUs',
      panels: [
        {
          kind: 'stat',
          title: 'GPUs reporting',
          description: 'GPUs and MIG instances whose exporter answered in the last scrape.',
          unit: 'short',
          queries: [{ expr: `count(DCGM_FI_DEV_GPU_TEMP{${dcgm}})` }],
        },
        {
          kind: 'stat',
          title: 'Busy GPUs',
          description: `GPUs (and MIG instances) with graphics-engine activity of at least ${busyActivity}.`,
          unit: 'short',
          queries: [{ expr: `count(${gr} >= ${busyActivity})` }],
        },
        {
          kind: 'stat',
          title: 'Idle GPUs (gpuscope verdict)',
          description:
            'GPUs the analyzer judged idle over its window: held by a job and unused, holding memory, or held by no job.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(gpuscope_idle_gpus{${clusterOnly}})` }],
        },
        {
          kind: 'stat',
          title: 'Suspect GPUs',
          description:
            'GPUs given no idle verdict because their readings are missing or frozen (data-quality findings say which).',
          unit: 'short',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(gpuscope_analyzer_suspect_gpus{${clusterOnly}})` }],
        },
        {
          kind: 'stat',
          title: 'Fleet activity',
          description: 'Mean graphics-engine activity over all GPUs (0-100 %).',
          unit: 'percentunit',
          decimals: 1,
          queries: [{ expr: `avg(${gr})` }],
        },
        {
          kind: 'stat',
          title: 'Exporters up',
          description: 'Share of the dcgm-exporter targets gpuscope scraped successfully at its last cycle.',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(gpuscope_collector_targets_up{${clusterOnly}, source="dcgm"}) / sum(gpuscope_collector_targets{${clusterOnly}, source="dcgm"})`,
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Busy, idle and suspect GPUs',
          description:
            'Busy GPUs from DCGM activity; idle GPUs by the analyzer verdict (allocated, memory held, unallocated); suspect GPUs.',
          unit: 'short',
          queries: [
            { expr: `count(${gr} >= ${busyActivity})`, legend: 'busy' },
            { expr: `sum by (kind) (gpuscope_idle_gpus{${clusterOnly}})`, legend: 'idle: {{kind}}' },
            { expr: `sum(gpuscope_analyzer_suspect_gpus{${clusterOnly}})`, legend: 'suspect' },
          ],
        },
        {
          kind: 'bargauge',
          title: 'Idle GPUs by kind',
          description: 'The idle verdicts of the last analyzer pass by variant.',
          unit: 'short',
          queries: [{ expr: `sum by (kind) (gpuscope_idle_gpus{${clusterOnly}})`, legend: '{{kind}}' }],
          width: 12,
        },
      ],
    },
    {
      title: 'Efficiency',
      panels: [
        {
          kind: 'timeseries',
          title: 'Activity by GPU model',
          description: 'Mean graphics-engine activity (GR_ENGINE_ACTIVE) per GPU model.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [{ expr: `avg by (modelName) (${gr})`, legend: '{{modelName}}' }],
        },
        {
          kind: 'timeseries',
          title: 'SM, tensor and DRAM activity',
          description: 'Fleet means of the profiling ratios: what the busy GPUs actually do.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [
            { expr: `avg(DCGM_FI_PROF_SM_ACTIVE{${dcgm}})`, legend: 'SM active' },
            { expr: `avg(DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{${dcgm}})`, legend: 'tensor active' },
            { expr: `avg(DCGM_FI_PROF_DRAM_ACTIVE{${dcgm}})`, legend: 'DRAM active' },
          ],
        },
        {
          kind: 'table',
          title: 'Least active nodes',
          description: 'The ten nodes with the lowest mean activity: candidates for consolidation.',
          unit: 'percentunit',
          queries: [{ expr: `bottomk(10, avg by (node, modelName) (${gr}))` }],
        },
        {
          kind: 'table',
          title: 'Open findings by kind',
          description: 'Findings not resolved, by kind and severity (details at /api/v1/findings).',
          unit: 'short',
          queries: [{ expr: `sum by (kind, severity) (gpuscope_findings{${clusterOnly}})` }],
        },
      ],
    },
    {
      title: 'Power and temperature',
      panels: [
        {
          kind: 'stat',
          title: 'Power draw',
          description: 'Total power of the selected GPUs.',
          unit: 'watt',
          queries: [{ expr: `sum(DCGM_FI_DEV_POWER_USAGE{${dcgm}})` }],
        },
        {
          kind: 'stat',
          title: 'Hottest GPU',
          description: 'Highest GPU temperature now.',
          unit: 'celsius',
          thresholds: [
            { value: 80, color: 'orange' },
            { value: 88, color: 'red' },
          ],
          queries: [{ expr: `max(DCGM_FI_DEV_GPU_TEMP{${dcgm}})` }],
        },
        {
          kind: 'stat',
          title: 'Power against limit',
          description: 'Power drawn over the power limit, summed over the selected GPUs.',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(DCGM_FI_DEV_POWER_USAGE{${dcgm}}) / sum(DCGM_FI_DEV_POWER_MGMT_LIMIT{${dcgm}})`,
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Power by GPU model',
          description: 'Power draw per GPU model.',
          unit: 'watt',
          stacked: true,
          queries: [
            { expr: `sum by (modelName) (DCGM_FI_DEV_POWER_USAGE{${dcgm}})`, legend: '{{modelName}}' },
          ],
          width: 8,
        },
        {
          kind: 'timeseries',
          title: 'Hottest nodes',
          description: 'The ten nodes with the hottest GPU.',
          unit: 'celsius',
          queries: [{ expr: `topk(10, max by (node) (DCGM_FI_DEV_GPU_TEMP{${dcgm}}))`, legend: '{{node}}' }],
          width: 8,
        },
        {
          kind: 'timeseries',
          title: 'Power from energy counters',
          description:
            'Mean power over each interval from the energy counters (DCGM counts millijoules): unlike the sampled power gauge, it misses no spike.',
          unit: 'watt',
          queries: [
            {
              expr: `sum(rate(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${dcgm}}[$__rate_interval])) / 1000`,
              legend: 'mean power from energy',
            },
          ],
          width: 8,
        },
      ],
    },
  ],
};
