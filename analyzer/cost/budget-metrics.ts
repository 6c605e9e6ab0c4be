import { Gauge, type Registry } from 'prom-client';
import type { BudgetStatus } from './forecast-budget.js';

export type BudgetMetrics = ReturnType<typeof createBudgetMetrics>;

const labelNames = ['budget', 'scope', 'scope_value'] as const;

/**
 * Point-in-time budget gauges. Labels come from configured budgets only (bounded); every update resets the
 * gauges first, so a budget removed from the config stops being exported.
 */
export function createBudgetMetrics(registry: Registry) {
  const registers = [registry];
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers });
  const gauges = {
    limit: gauge('gpuscope_budget_limit_usd', 'Monthly budget, in USD.'),
    spent: gauge('gpuscope_budget_spent_usd', 'Spend so far this UTC month, in USD.'),
    forecast: gauge('gpuscope_budget_forecast_usd', 'Forecast spend at the end of the UTC month, in USD.'),
    burn: gauge('gpuscope_budget_burn_ratio', 'Spend so far this month divided by the monthly budget.'),
    forecastRatio: gauge(
      'gpuscope_budget_forecast_ratio',
      'Forecast month-end spend divided by the monthly budget.',
    ),
  };
  return {
    update(statuses: readonly BudgetStatus[]): void {
      for (const g of Object.values(gauges)) g.reset();
      for (const s of statuses) {
        const labels = { budget: s.name, scope: s.scope.kind, scope_value: s.scope.value };
        gauges.limit.set(labels, Number(s.monthlyUsd));
        gauges.spent.set(labels, Number(s.spentUsd));
        gauges.forecast.set(labels, Number(s.forecastUsd));
        gauges.burn.set(labels, s.burnRatio);
        gauges.forecastRatio.set(labels, s.forecastRatio);
      }
    },
  };
}
