import type { DashboardSpec } from '../lib/spec.js';
import { clusterOnly, costSel, emptyReasons, teamSel } from './selectors.js';

const modelSel = 'cluster=~"$cluster", gpu_model=~"$gpu_model"';

export const cost: DashboardSpec = {
  uid: 'gpuscope-cost',
  file: 'cost',
  title: 'Cost and waste',
  description:
    'Spend from the hourly cost allocation, idle and unallocated dollars, budgets with their month-end forecast, and what open findings cost per month.',
  tags: ['cost', 'finops'],
  variables: ['cluster', 'team', 'gpu_model'],
  from: 'now-7d',
  rows: [
    {
      title: 'Spend',
      panels: [
        {
          kind: 'stat',
          title: 'Spend in range',
          description: 'Allocated cost of the hours closed in the time range.',
          unit: 'currencyUSD',
          queries: [{ expr: `sum(increase(gpuscope_cost_usd_total{${costSel}}[$__range]))` }],
        },
        {
          kind: 'stat',
          title: 'Idle dollars',
          description: 'Cost of GPUs jobs held but did not use, in the time range.',
          unit: 'currencyUSD',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [
            { expr: `sum(increase(gpuscope_idle_cost_usd_total{${costSel}, kind="idle"}[$__range]))` },
          ],
        },
        {
          kind: 'stat',
          title: 'Unallocated dollars',
          description: 'Cost of GPU capacity no job held, in the time range.',
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum(increase(gpuscope_idle_cost_usd_total{${modelSel}, kind="unallocated"}[$__range]))`,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Run rate',
          description:
            'Cost per hour of the GPUs reporting now, at the last allocated hour\u2019s $/GPU-hour of their node.',
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum(max by (cluster, node) (gpuscope_gpu_hourly_cost_usd{${modelSel}}) * on (cluster, node) count by (cluster, node) (DCGM_FI_DEV_POWER_USAGE{cluster=~"$cluster", GPU_I_ID=""}))`,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Waste per month',
          description:
            'Monthly cost, at the current rate, of open idle, bottleneck and right-sizing findings.',
          unit: 'currencyUSD',
          queries: [{ expr: `sum(gpuscope_team_waste_usd_per_month{${teamSel}})` }],
        },
        {
          kind: 'stat',
          title: 'Allocation lag',
          description: 'How far the newest allocated hour lies behind now (normally under two hours).',
          unit: 's',
          thresholds: [{ value: 10_800, color: 'orange' }],
          queries: [
            { expr: `time() - max(gpuscope_cost_allocated_through_timestamp_seconds{${clusterOnly}})` },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Spend per hour by team',
          description: 'Allocated cost per hour by owning team (counted once when the hour closes).',
          unit: 'currencyUSD',
          stacked: true,
          queries: [
            { expr: `sum by (team) (increase(gpuscope_cost_usd_total{${costSel}}[1h]))`, legend: '{{team}}' },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Idle and unallocated cost per hour',
          description: 'Idle (held, unused) and unallocated (held by none) cost per hour.',
          unit: 'currencyUSD',
          stacked: true,
          queries: [
            {
              expr: `sum by (kind) (increase(gpuscope_idle_cost_usd_total{${modelSel}}[1h]))`,
              legend: '{{kind}}',
            },
          ],
        },
        {
          kind: 'table',
          title: 'Spend by GPU model and price source',
          description:
            'Cost in the time range by GPU model and where the price came from (bill, spot, on-demand, price book).',
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum by (gpu_model, price_source) (increase(gpuscope_cost_usd_total{${costSel}}[$__range]))`,
            },
          ],
        },
        {
          kind: 'bargauge',
          title: '$ per GPU-hour by model',
          description: 'Mean cost of one GPU-hour per GPU model in the last allocated hour.',
          unit: 'currencyUSD',
          decimals: 2,
          queries: [
            {
              expr: `avg by (gpu_model, price_source) (gpuscope_gpu_hourly_cost_usd{${modelSel}})`,
              legend: '{{gpu_model}} ({{price_source}})',
            },
          ],
        },
      ],
    },
    {
      title: 'Budgets and forecast',
      panels: [
        {
          kind: 'bargauge',
          title: 'Budget used this month',
          description: 'Spend so far this UTC month over each monthly budget.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: [
            { value: 0.8, color: 'orange' },
            { value: 1, color: 'red' },
          ],
          queries: [{ expr: 'gpuscope_budget_burn_ratio{cluster=~"$cluster"}', legend: '{{budget}}' }],
        },
        {
          kind: 'bargauge',
          title: 'Month-end forecast against budget',
          description: 'Forecast month-end spend over the budget: above 100 % the budget will be exceeded.',
          unit: 'percentunit',
          min: 0,
          thresholds: [
            { value: 0.9, color: 'orange' },
            { value: 1, color: 'red' },
          ],
          queries: [{ expr: 'gpuscope_budget_forecast_ratio{cluster=~"$cluster"}', legend: '{{budget}}' }],
        },
        {
          kind: 'table',
          title: 'Budgets',
          description: 'Each budget: limit, spend so far and the month-end forecast (USD).',
          unit: 'currencyUSD',
          queries: [
            { expr: 'max by (budget, scope, scope_value) (gpuscope_budget_limit_usd{cluster=~"$cluster"})' },
            { expr: 'max by (budget, scope, scope_value) (gpuscope_budget_spent_usd{cluster=~"$cluster"})' },
            {
              expr: 'max by (budget, scope, scope_value) (gpuscope_budget_forecast_usd{cluster=~"$cluster"})',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Budget spend and forecast',
          description: 'Spend so far and the month-end forecast of each budget, with its limit.',
          unit: 'currencyUSD',
          queries: [
            { expr: 'gpuscope_budget_spent_usd{cluster=~"$cluster"}', legend: '{{budget}} spent' },
            { expr: 'gpuscope_budget_forecast_usd{cluster=~"$cluster"}', legend: '{{budget}} forecast' },
            { expr: 'gpuscope_budget_limit_usd{cluster=~"$cluster"}', legend: '{{budget}} limit' },
          ],
        },
      ],
    },
    {
      title: 'Waste',
      panels: [
        {
          kind: 'bargauge',
          title: 'Waste per month by family',
          description: 'Monthly cost of open findings: idle GPUs, bottlenecks, right-sizing.',
          unit: 'currencyUSD',
          queries: [
            { expr: `sum by (family) (gpuscope_team_waste_usd_per_month{${teamSel}})`, legend: '{{family}}' },
          ],
        },
        {
          kind: 'table',
          title: 'Idle dollars by team and model',
          description: 'Idle and unallocated cost in the time range by team and GPU model.',
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum by (team, gpu_model, kind) (increase(gpuscope_idle_cost_usd_total{${costSel}}[$__range]))`,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Unpriced GPU-hours',
          description: 'GPU-hours in the last allocated hour with no price anywhere (never charged $0).',
          unit: 'short',
          thresholds: [{ value: 0.01, color: 'orange' }],
          queries: [
            {
              expr: `sum(gpuscope_cost_unpriced_gpu_hours{${modelSel}})`,
              expectEmptyInSim: emptyReasons.unpriced,
            },
          ],
          width: 8,
        },
      ],
    },
  ],
};
