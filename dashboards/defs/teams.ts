import type { DashboardSpec } from '../lib/spec.js';
import { costSel, teamSel } from './selectors.js';

export const teams: DashboardSpec = {
  uid: 'gpuscope-teams',
  file: 'teams',
  title: 'Jobs and efficiency by team',
  description:
    'What each team runs, how many GPUs it holds, how much of them it uses, and what its open findings cost per month.',
  tags: ['teams', 'jobs'],
  variables: ['cluster', 'team', 'gpu_model'],
  from: 'now-24h',
  rows: [
    {
      title: 'Jobs',
      panels: [
        {
          kind: 'stat',
          title: 'Running jobs',
          description: 'Slurm and Kubernetes jobs running now.',
          unit: 'short',
          queries: [{ expr: `sum(gpuscope_jobs_running{${teamSel}})` }],
        },
        {
          kind: 'stat',
          title: 'GPUs held by jobs',
          description: 'GPUs (or MIG slices) held by running jobs.',
          unit: 'short',
          queries: [{ expr: `sum(gpuscope_jobs_gpus_allocated{${teamSel}})` }],
        },
        {
          kind: 'stat',
          title: 'Held-GPU efficiency',
          description:
            'Mean activity of the GPU-minutes held by the selected teams, weighted by GPU-hours held.',
          unit: 'percentunit',
          decimals: 1,
          thresholds: [
            { value: 0, color: 'red' },
            { value: 0.3, color: 'orange' },
            { value: 0.6, color: 'green' },
          ],
          queries: [
            {
              expr: `sum(gpuscope_team_gpu_efficiency_ratio{${teamSel}} * gpuscope_team_held_gpu_hours{${teamSel}}) / sum(gpuscope_team_held_gpu_hours{${teamSel}})`,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Waste per month',
          description:
            'Monthly cost, at the current rate, of the open idle, bottleneck and right-sizing findings.',
          unit: 'currencyUSD',
          queries: [{ expr: `sum(gpuscope_team_waste_usd_per_month{${teamSel}})` }],
        },
        {
          kind: 'stat',
          title: 'Spend in range',
          description: 'Allocated cost of the closed hours in the time range.',
          unit: 'currencyUSD',
          queries: [{ expr: `sum(increase(gpuscope_cost_usd_total{${costSel}}[$__range]))` }],
          width: 8,
        },
        {
          kind: 'timeseries',
          title: 'GPUs held by team',
          description: 'GPUs held by running jobs, by team and scheduler.',
          unit: 'short',
          stacked: true,
          queries: [
            {
              expr: `sum by (team, source) (gpuscope_jobs_gpus_allocated{${teamSel}})`,
              legend: '{{team}} ({{source}})',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Running jobs by team',
          description: 'Jobs running, by team and scheduler.',
          unit: 'short',
          stacked: true,
          queries: [
            {
              expr: `sum by (team, source) (gpuscope_jobs_running{${teamSel}})`,
              legend: '{{team}} ({{source}})',
            },
          ],
        },
      ],
    },
    {
      title: 'Efficiency',
      panels: [
        {
          kind: 'bargauge',
          title: 'GPU efficiency by team',
          description: 'Mean activity (0-1) of the GPU-minutes each team held over the analyzer window.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: [
            { value: 0, color: 'red' },
            { value: 0.3, color: 'orange' },
            { value: 0.6, color: 'green' },
          ],
          queries: [{ expr: `gpuscope_team_gpu_efficiency_ratio{${teamSel}}`, legend: '{{team}}' }],
        },
        {
          kind: 'bargauge',
          title: 'GPU-hours held by team',
          description: 'GPU-hours each team held over the analyzer window (the weight of its efficiency).',
          unit: 'short',
          queries: [{ expr: `gpuscope_team_held_gpu_hours{${teamSel}}`, legend: '{{team}}' }],
        },
        {
          kind: 'bargauge',
          title: 'Waste per month by team',
          description: "Monthly cost of each team's open findings, by family (idle, bottleneck, right_size).",
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum by (team, family) (gpuscope_team_waste_usd_per_month{${teamSel}})`,
              legend: '{{team}} {{family}}',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Activity by team (last 15 minutes)',
          description:
            'Sample-weighted activity of the GPU-minutes attributed to each team; "unattributed" for minutes no job claimed.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [{ expr: `gpuscope_team_gpu_activity_ratio{${teamSel}}`, legend: '{{team}}' }],
        },
        {
          kind: 'timeseries',
          title: 'GPU-minute attribution',
          description:
            'GPU-minutes linked to jobs per second, by method (exporter label, scheduler) or unattributed.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (method) (rate(gpuscope_attribution_gpu_minutes_total{cluster=~"$cluster"}[$__rate_interval]))',
              legend: '{{method}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Cost',
      panels: [
        {
          kind: 'timeseries',
          title: 'Spend by team',
          description: 'Allocated cost per hour, by team (counted when the hour closes).',
          unit: 'currencyUSD',
          stacked: true,
          queries: [
            { expr: `sum by (team) (increase(gpuscope_cost_usd_total{${costSel}}[1h]))`, legend: '{{team}}' },
          ],
        },
        {
          kind: 'table',
          title: 'Spend and idle cost by team',
          description: 'Cost and idle cost (held but unused) of the closed hours in the time range.',
          unit: 'currencyUSD',
          queries: [
            { expr: `sum by (team) (increase(gpuscope_cost_usd_total{${costSel}}[$__range]))` },
            {
              expr: `sum by (team) (increase(gpuscope_idle_cost_usd_total{${costSel}, kind="idle"}[$__range]))`,
            },
          ],
        },
      ],
    },
  ],
};
